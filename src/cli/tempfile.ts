/**
 * The CLI's side of temporary outputs (the writes themselves are
 * src/fs/atomic-write.ts): the signal clean-up that removes every live
 * temporary file on SIGINT/SIGTERM/SIGHUP, and the hint for a file named
 * like the leftover of an interrupted run.
 */
import * as fs from 'node:fs';
import { removeAllTemps, tempNamePid } from '../fs/atomic-write.js';

/**
 * When `file` is named like one of our temporary outputs, a sentence saying
 * it is most likely the leftover of an interrupted run (killed with SIGKILL,
 * a crash, a power cut: no handler ran), else undefined.
 */
export function leftoverTempHint(file: string): string | undefined {
  const pid = tempNamePid(file);
  if (pid === undefined) return undefined;
  let running = false;
  try {
    process.kill(pid, 0); // signal 0: only asks whether the process exists
    running = pid !== process.pid;
  } catch (e) {
    running = (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  return (
    `looks like the temporary file of an interrupted nnc run (nnc writes .NAME.PID.RANDOM.tmp and renames it to NAME ` +
    `only when complete), so it is probably incomplete; ` +
    (running
      ? `process ${pid} is still running: if it is that nnc, wait for it`
      : `no process ${pid} is running: it can be removed`)
  );
}

const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * The signal clean-up of every nnc command. On SIGINT/SIGTERM/SIGHUP: delete
 * temporary files, say so on stderr ("nnc: interrupted (SIGINT); removed
 * the partial output FILE"), then exit with 128 + signal number (130, 143,
 * 129) as shells expect.
 *
 * `stop` is for work that can end cleanly at its next safe point (nnc train
 * stops at the next batch, its checkpoint whole): the first SIGINT or SIGTERM
 * only calls it, and the command ends itself; a second signal exits as above.
 * Returns a function that uninstalls.
 */
export function installSignalCleanup(stop?: (signal: NodeJS.Signals) => void): () => void {
  const handlers: [NodeJS.Signals, () => void][] = [];
  let stopping = false;
  for (const sig of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) {
    const h = (): void => {
      if (stop && !stopping && sig !== 'SIGHUP') {
        stopping = true;
        stop(sig);
        return;
      }
      const removed = removeAllTemps();
      const what = removed.length ? `; removed the partial output ${removed.join(', ')}` : '';
      try {
        fs.writeSync(2, `nnc: interrupted (${sig})${what}\n`);
      } catch {
        // stderr is gone: the exit status still tells.
      }
      process.exit(SIGNAL_EXIT[sig]);
    };
    process.on(sig, h);
    handlers.push([sig, h]);
  }
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}
