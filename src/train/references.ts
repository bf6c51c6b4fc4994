/**
 * General-purpose compressors on the same validation data the family is
 * measured on, so the report can say where the models stand: gzip -9
 * (node:zlib, always there) and xz -9 (the `xz` program, when installed).
 * Each validation part is compressed on its own, as nnc's figures are.
 */
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';

export interface Reference {
  /** "gzip -9", "xz -9" */
  name: string;
  bitsPerByte: number;
}

export interface References {
  found: Reference[];
  /** Why a compressor is missing ("xz: not installed"). */
  missing: string[];
}

export function referenceBits(parts: readonly Uint8Array[]): References {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out: References = { found: [], missing: [] };
  if (total === 0) return out;
  const gz = parts.reduce((n, p) => n + gzipSync(p, { level: 9 }).length, 0);
  out.found.push({ name: 'gzip -9', bitsPerByte: (8 * gz) / total });
  let xz = 0;
  for (const p of parts) {
    const r = spawnSync('xz', ['-9', '-c', '-T1'], { input: p, maxBuffer: p.length * 2 + (1 << 20) });
    if (r.error || r.status !== 0) {
      out.missing.push(`xz: ${r.error ? ((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : r.error.message) : `exit ${r.status}`}`);
      return out;
    }
    xz += r.stdout.length;
  }
  out.found.push({ name: 'xz -9', bitsPerByte: (8 * xz) / total });
  return out;
}
