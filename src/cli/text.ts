/** Small text helpers shared by the CLI commands. */

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/** Uncompressed / compressed, as zstd prints it ("3.142"); "-" when undefined. */
export function formatRatio(uncompressed: number, compressed: number): string {
  return compressed > 0 ? (uncompressed / compressed).toFixed(3) : '-';
}

export function formatBpb(uncompressed: number, compressed: number): string {
  return uncompressed > 0 ? ((8 * compressed) / uncompressed).toFixed(3) : '-';
}

/** Messages for the file-system errors people actually meet, without Node's `ENOENT: …, open 'x'` noise. */
export const SYSTEM_MESSAGES: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EEXIST: 'File exists',
  EMFILE: 'Too many open files',
  EPIPE: 'Broken pipe',
  EFBIG: 'File too large',
  EDQUOT: 'Disk quota exceeded',
  EIO: 'Input/output error',
};

/** `message (CODE)` for any thrown value: NncError codes, Node system error codes, or no code. */
export function describeError(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown };
  const code = err && typeof err.code === 'string' ? err.code : undefined;
  let message = err && typeof err.message === 'string' ? err.message : String(e);
  if (code && SYSTEM_MESSAGES[code] && (e as { syscall?: unknown }).syscall !== undefined) {
    message = SYSTEM_MESSAGES[code];
  }
  return code ? `${message} (${code})` : message;
}

/** Pad each column to its widest cell; `right` marks right-aligned (numeric) columns. */
export function table(rows: string[][], right: boolean[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
