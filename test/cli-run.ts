/**
 * Runs the nnc command line in-process on the source (main() with captured
 * streams, no signal handlers), for the CLI tests that need no child process.
 */
import { PassThrough, Readable } from 'node:stream';
import { main } from '../src/cli/nnc.js';

export interface CliRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export async function runCli(args: string[], stdin: Readable = Readable.from([])): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const code = await main(args, { stdin, stdout, stderr, signals: false });
  return { code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() };
}

/** The same with stdout as text. */
export async function runCliText(args: string[], stdin?: Readable): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await runCli(args, stdin);
  return { ...r, stdout: r.stdout.toString() };
}
