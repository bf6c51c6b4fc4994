/**
 * rANS with a 32-bit state and byte-wise renormalization (after ryg_rans'
 * rans_byte.h), as docs/FORMAT.md section 3 specifies. Traps worth knowing:
 * - encoding runs backwards (last symbol first), so the decoder, reading
 *   forwards, gets symbols in order;
 * - the encoder's bound x < f·2^15 = ((RANS_L >> P) << 8)·f keeps the state
 *   below 2^31 after the update, so every value fits a double (and an int32).
 */
import { ErrorCodes, NncError } from '../../errors.js';

export const RANS_L = 2 ** 23;
const P = 16;

/** Encoder that collects bytes in emission order (reversed at the end). */
export class RansEncoder {
  private x = RANS_L;
  private bytes: number[] = [];

  /** Encode one symbol with frequency f and cumulative start c (total 2^16). */
  put(f: number, c: number): void {
    let x = this.x;
    const xMax = f * 2 ** 15;
    while (x >= xMax) {
      this.bytes.push(x & 0xff);
      x = Math.floor(x / 256);
    }
    this.x = Math.floor(x / f) * 2 ** P + (x % f) + c;
  }

  /** The lane stream: state (u32 LE) then the emitted bytes, last emitted first. */
  finish(): Uint8Array {
    const n = this.bytes.length;
    const out = new Uint8Array(4 + n);
    new DataView(out.buffer).setUint32(0, this.x, true);
    for (let i = 0; i < n; i++) out[4 + i] = this.bytes[n - 1 - i];
    return out;
  }
}

const corrupt = (msg: string) =>
  new NncError(ErrorCodes.CORRUPT, `corrupt archive: ${msg}; the file is damaged`);

export class RansDecoder {
  private x: number;
  private pos = 4;

  constructor(private readonly stream: Uint8Array) {
    if (stream.length < 4) throw corrupt('lane stream shorter than its state');
    this.x = new DataView(stream.buffer, stream.byteOffset, 4).getUint32(0, true);
    if (this.x < RANS_L || this.x >= 2 ** 31) throw corrupt('lane state out of range');
  }

  /** The slot (x mod 2^16) that selects the next symbol. */
  peek(): number {
    return this.x % 2 ** P;
  }

  /** Consume the symbol (f, c) that peek() selected. */
  advance(f: number, c: number): void {
    let x = f * Math.floor(this.x / 2 ** P) + (this.x % 2 ** P) - c;
    while (x < RANS_L) {
      if (this.pos >= this.stream.length) throw corrupt('lane stream ended early');
      x = x * 256 + this.stream[this.pos++];
    }
    this.x = x;
  }

  /** The end-of-lane check: back at the initial state with every byte read. */
  finish(): void {
    if (this.x !== RANS_L || this.pos !== this.stream.length) throw corrupt('lane stream does not end where its content does');
  }
}
