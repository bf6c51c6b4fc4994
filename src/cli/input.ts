/**
 * Which files nnc reads, and opening them without ever blocking.
 *
 * Like gzip and zstd, compressing or decompressing to a file (and so --rm)
 * takes regular files only: a device, FIFO or socket has no FILE.nnc to sit
 * beside and must never be removed. Writing to standard output (-c), -t and
 * -l read anything readable. A symbolic link is refused when the output is a
 * file unless -f, which follows it (gzip's rule); -c, -t and -l follow links.
 *
 * The type is checked with lstat/stat before opening (so a refused FIFO is
 * never opened), and every open is asynchronous and O_NONBLOCK: a blocking
 * open of a FIFO with no writer holds a libuv thread forever, and
 * process.exit() (our SIGINT/SIGTERM handler) waits for those threads, so
 * only SIGKILL could end nnc.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import type { Readable } from 'node:stream';
import * as tty from 'node:tty';
import { promisify } from 'node:util';
import type { Context } from './context.js';

export interface InputRules {
  /** Refuse anything but a regular file (the output is a file, or --rm). */
  regularOnly: boolean;
  /** Follow a symbolic link given as the input (else it is refused). */
  followLinks: boolean;
}

/** What stat says a non-regular file is, for messages. */
function kind(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Check `input` against the rules before anything is opened or created.
 * Returns its (followed) stat, or undefined when it is skipped: the warning
 * (exit status 2) is already printed. Errors (ENOENT, ELOOP) are thrown.
 */
export async function admitInput(ctx: Context, name: string, input: string, rules: InputRules): Promise<fs.Stats | undefined> {
  const link = await fs.promises.lstat(input);
  if (link.isSymbolicLink() && !rules.followLinks) {
    ctx.warn(name, 'is a symbolic link -- ignored (use -f to follow it, or -c)');
    return undefined;
  }
  const st = link.isSymbolicLink() ? await fs.promises.stat(input) : link;
  if (st.isDirectory()) {
    ctx.warn(name, 'is a directory -- ignored');
    return undefined;
  }
  if (rules.regularOnly && !st.isFile()) {
    ctx.warn(name, `not a regular file -- ignored (${kind(st)}; use -c to read it to standard output)`);
    return undefined;
  }
  return st;
}

export interface OpenedInput {
  stream: Readable;
  /** The open file's stat: at open, and (regular files) again after it was read. */
  opened: fs.Stats;
  fstat(): Promise<fs.Stats>;
  close(): Promise<void>;
}

const open = promisify(fs.open);
const fstat = promisify(fs.fstat);
const close = promisify(fs.close);

/**
 * Open an admitted input without blocking. The opened file's own type is
 * checked again (it may have been replaced since admitInput); a swap to a
 * symlink fails with ELOOP when links are not followed.
 */
export async function openInput(input: string, rules: InputRules): Promise<OpenedInput> {
  const c = fs.constants;
  const fd = await open(input, c.O_RDONLY | c.O_NONBLOCK | (rules.followLinks ? 0 : c.O_NOFOLLOW));
  let st: fs.Stats;
  try {
    st = await fstat(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`${input}: is a directory`), { code: 'EISDIR', syscall: 'read' });
    if (rules.regularOnly && !st.isFile()) {
      throw new Error(`became ${kind(st)} while nnc was starting; not reading it`);
    }
  } catch (e) {
    await close(fd);
    throw e;
  }
  if (st.isFIFO() || st.isSocket()) {
    // libuv reads a non-blocking pipe by polling it: waits for a writer, ends when the last one closes.
    const sock = new net.Socket({ fd, readable: true, writable: false });
    return { stream: sock, opened: st, fstat: () => Promise.resolve(st), close: async () => void sock.destroy() };
  }
  if (tty.isatty(fd)) {
    const t = new tty.ReadStream(fd);
    return { stream: t, opened: st, fstat: () => Promise.resolve(st), close: async () => void t.destroy() };
  }
  // Regular files and devices such as /dev/zero: O_NONBLOCK changes nothing for them.
  let closed = false;
  return {
    stream: fs.createReadStream(input, { fd, autoClose: false }),
    opened: st,
    fstat: () => fstat(fd),
    close: async () => {
      if (closed) return;
      closed = true;
      await close(fd);
    },
  };
}

/**
 * --rm: is `input` still the very file that was read, whole? Same device and
 * inode, the size and mtime seen after the last byte was read, and that size
 * is the number of bytes read (an append after the read shows in either).
 */
export async function unchangedSince(input: string, afterRead: fs.Stats, bytesRead: number): Promise<boolean> {
  let now: fs.Stats;
  try {
    now = await fs.promises.stat(input);
  } catch {
    return false; // gone or unreadable: nothing of ours to remove
  }
  return (
    now.isFile() &&
    now.dev === afterRead.dev &&
    now.ino === afterRead.ino &&
    now.size === afterRead.size &&
    now.mtimeMs === afterRead.mtimeMs &&
    afterRead.size === bytesRead
  );
}
