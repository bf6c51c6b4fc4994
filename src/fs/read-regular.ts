/**
 * Read a whole file that must be a regular file (training data, a training
 * checkpoint), never blocking: the open is O_NONBLOCK and the type is
 * checked on the opened file before reading. A blocking open of a FIFO with
 * no writer holds the main thread, so no signal handler runs and only
 * SIGKILL ends the process; a device such as /dev/zero reads without end.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';

function kind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/** The file's bytes; throws (a plain Error, or the fs error) if it is not a regular file or cannot be read. */
export function readRegularFileSync(file: string): Buffer {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`${file} is not a regular file (${kind(st)}); give a file`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
