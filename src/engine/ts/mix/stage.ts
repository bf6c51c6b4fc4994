/**
 * Format v2 mixing stage, the whole per-bit loop: design note sections 8.1,
 * 8.5 (order 1), 8.8 and 8.9, driving the parts in ./contexts.ts,
 * ./hashed.ts, ./match.ts and ./network.ts. The readable twin of
 * native/tools/cmlab.cc's Stage (checked bit-exact by test/mix-twin.test.ts).
 *
 * Use: reset() at a lane's start; then for every bit, most significant
 * first, p = predictBit(pn) (pn: the network's bit probability from
 * NetworkBits, ignored without the network input) and update(y).
 * Arithmetic: int32 and u32 as in the parts; see each file.
 */
import { Apm } from './apm.js';
import { ByteContexts, KINDS, type KindName } from './contexts.js';
import { COUNTER_INIT, LIMIT_CONTEXT, counterP12, counterUpdate } from './counter.js';
import { HashedKind } from './hashed.js';
import { MatchModel } from './match.js';
import { Mixer } from './mixer.js';
import { confidenceBucket } from './network.js';
import { STRETCH, fmix32, squash } from './tables.js';
import { EXPERT_BITS, type MixParams } from '../../../format/mix-params.js';

/** Which experts are on, and the table sizes (cmlab's CONFIG keys). */
export interface MixConfig {
  o1: boolean;
  /** Hashed kinds; their order in the mixer input is always KINDS' order. */
  kinds: readonly KindName[];
  match: boolean;
  net: boolean;
  /** The second mixer (8.8, mixer B). */
  mx2: boolean;
  /** The two APM stages (8.9). */
  apm: boolean;
  /** 2^hb buckets per hashed kind, 2^mb match-table entries, 2^a2b APM2 contexts. */
  hb: number;
  mb: number;
  a2b: number;
}

/** The recommended default (design note section 3): every expert, HB 16. */
export const DEFAULT_MIX_CONFIG: MixConfig = {
  o1: true,
  kinds: KINDS.map((k) => k[0]),
  match: true,
  net: true,
  mx2: true,
  apm: true,
  hb: 16,
  mb: 18,
  a2b: 16,
};

/** The bias input x0. */
const BIAS = 256;

export class MixStage {
  readonly ctx = new ByteContexts();
  private readonly t1: Uint32Array | null;
  private readonly kinds: { kind: HashedKind; o: number }[];
  private readonly match: MatchModel | null;
  private readonly mixA: Mixer;
  private readonly mixB: Mixer | null;
  private readonly apm1: Apm | null;
  private readonly apm2: Apm | null;
  private readonly x: Int32Array;
  /** H_o of each kind for the current byte. */
  private readonly h: Uint32Array;
  /** The lane's bytes so far (the match and record history); only buf[0..pos) is ever read, so reset() need not clear it. */
  private buf = new Uint8Array(1 << 16);
  /** Bytes of the lane coded so far; bit index j (0..7) and partial byte c0 (1..255). */
  pos = 0;
  j = 0;
  c0 = 1;

  constructor(readonly config: MixConfig) {
    const c = config;
    this.t1 = c.o1 ? new Uint32Array(65536) : null;
    this.kinds = KINDS.filter(([name]) => c.kinds.includes(name)).map(([, o]) => ({ kind: new HashedKind(c.hb), o }));
    this.match = c.match ? new MatchModel(c.mb) : null;
    // Inputs, in order: bias, order 1, (counter, history) per kind, match, network.
    const n = 1 + (c.o1 ? 1 : 0) + 2 * this.kinds.length + (c.match ? 1 : 0) + (c.net ? 1 : 0);
    // Initial weights: bias 0, network 1/2, every other input 1/4 (16 fractional bits).
    const init = Array.from({ length: n }, (_, i) => (i === 0 ? 0 : c.net && i === n - 1 ? 1 << 15 : 1 << 14));
    this.mixA = new Mixer(n, 1024, init);
    this.mixB = c.mx2 ? new Mixer(n, 256, init) : null;
    this.apm1 = c.apm ? new Apm(256) : null;
    this.apm2 = c.apm ? new Apm(1 << c.a2b) : null;
    this.x = new Int32Array(n);
    this.h = new Uint32Array(this.kinds.length);
    this.reset();
  }

  /** A lane's start: every table back to its initial state. */
  reset(): void {
    this.ctx.reset();
    this.t1?.fill(COUNTER_INIT);
    for (const { kind } of this.kinds) kind.reset();
    this.match?.reset();
    this.mixA.reset();
    this.mixB?.reset();
    this.apm1?.reset();
    this.apm2?.reset();
    this.pos = this.j = 0;
    this.c0 = 1;
  }

  /** p(next bit = 1) in 1..4095; pn: the network's (1..4095), ignored without the network input. */
  predictBit(pn: number): number {
    const { ctx, x, j, c0 } = this;
    if (j === 0) {
      // Byte boundary (8.4): hash every kind's context, and the match model's expected byte.
      for (let i = 0; i < this.kinds.length; i++) this.h[i] = ctx.hash(this.kinds[i].o, this.buf, this.pos);
      this.match?.beginByte(this.buf);
    }
    if (j === 0 || j === 4) for (let i = 0; i < this.kinds.length; i++) this.kinds[i].kind.select(this.h[i], j === 0 ? 0 : c0);

    let k = 0;
    x[k++] = BIAS;
    if (this.t1) x[k++] = STRETCH[counterP12(this.t1[((ctx.c4 & 255) << 8) | c0])];
    for (const { kind } of this.kinds) {
      kind.inputs(j, c0, x, k);
      k += 2;
    }
    let ms = 0; // match state: 0 no expected bit, else by length
    if (this.match) {
      x[k++] = this.match.input(j);
      if (this.match.eb >= 0) ms = this.match.len < 16 ? 1 : this.match.len < 32 ? 2 : 3;
    }
    let nb = 0;
    if (this.config.net) {
      x[k++] = STRETCH[pn];
      nb = confidenceBucket(pn);
    }

    // 8.8: mixer A by (match state, partial byte), mixer B by (match state, network confidence, bit).
    let p = this.mixA.predict(x, c0 + 256 * ms);
    if (this.mixB) {
      this.mixB.predict(x, 64 * ms + 8 * nb + j);
      p = squash((this.mixA.s + this.mixB.s) >> 1);
    }
    // 8.9: two APMs, each averaged 1:3 with its input.
    if (this.apm1 && this.apm2) {
      const p1 = this.apm1.refine(p, c0);
      p = (p + 3 * p1) >> 2;
      const p2 = this.apm2.refine(p, (fmix32(ctx.c4 & 0xffff) ^ c0) & (this.apm2.contexts - 1));
      p = (p + 3 * p2) >> 2;
    }
    return p < 1 ? 1 : p > 4095 ? 4095 : p;
  }

  /** After the bit y (0 or 1): every part used by this bit learns, then c0 takes y. */
  update(y: number): void {
    const c0 = this.c0;
    if (this.t1) counterUpdate(this.t1, ((this.ctx.c4 & 255) << 8) | c0, y, LIMIT_CONTEXT);
    for (const { kind } of this.kinds) kind.update(y);
    this.match?.update(y);
    this.mixA.update(this.x, y);
    this.mixB?.update(this.x, y);
    this.apm1?.update(y);
    this.apm2?.update(y);
    this.c0 = (c0 << 1) | y;
    if (++this.j === 8) this.endByte(this.c0 & 255);
  }

  /** After the byte b: history, contexts (8.4), match table (8.6). */
  private endByte(b: number): void {
    if (this.pos === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.pos++] = b;
    this.ctx.push(b, this.pos);
    this.match?.endByte(this.buf, this.pos, this.ctx.c4, this.ctx.c8);
    this.j = 0;
    this.c0 = 1;
  }

  /**
   * Every bit's p for the lane `data` (from a reset state), 8 per byte, MSB
   * first; netBits: the network's per-bit input in the same layout.
   */
  static probabilities(config: MixConfig, data: Uint8Array, netBits?: Uint16Array): Uint16Array {
    return new MixStage(config).run(data, netBits);
  }

  /** Every bit's p for the lane `data`, from this stage's current state (reset() first for a lane). */
  run(data: Uint8Array, netBits?: Uint16Array): Uint16Array {
    const s = this;
    const out = new Uint16Array(data.length * 8);
    for (let i = 0; i < data.length; i++)
      for (let j = 0; j < 8; j++) {
        out[i * 8 + j] = s.predictBit(netBits ? netBits[i * 8 + j] : 2048);
        s.update((data[i] >> (7 - j)) & 1);
      }
    return out;
  }
}

/**
 * The stage a method-2 frame's parameter block (FORMAT.md 5.1) describes:
 * mask bits 1..12 are the hashed kinds in KINDS' order; the sizes are used
 * as given (parseMixParams has checked them).
 */
export function mixConfigOf(p: MixParams): MixConfig {
  const on = (bit: number): boolean => (p.mask & bit) !== 0;
  return {
    o1: on(EXPERT_BITS.o1),
    kinds: KINDS.map(([name]) => name).filter((name) => on(EXPERT_BITS[name])),
    match: on(EXPERT_BITS.match),
    net: on(EXPERT_BITS.net),
    mx2: on(EXPERT_BITS.mixer2),
    apm: on(EXPERT_BITS.apm),
    hb: p.hb,
    mb: p.mb,
    a2b: p.a2b,
  };
}

/** A config from cmlab's CONFIG syntax (o1,o2,…,m,n,mx2,a,ind,hb=B,mb=B,a2b=B); hashed kinds need `ind`. */
export function parseMixConfig(s: string): MixConfig {
  const c: MixConfig = { o1: false, kinds: [], match: false, net: false, mx2: false, apm: false, hb: 18, mb: 18, a2b: 16 };
  const kinds: KindName[] = [];
  let ind = false;
  for (const t of s.split(',').filter((v) => v !== '')) {
    const [key, value] = t.split('=');
    if (value !== undefined) {
      if (key === 'hb') c.hb = Number(value);
      else if (key === 'mb') c.mb = Number(value);
      else if (key === 'a2b') c.a2b = Number(value);
      else if (key !== 'name') throw new RangeError(`mix config: unsupported key ${key}`);
    } else if (t === 'o1') c.o1 = true;
    else if (t === 'm') c.match = true;
    else if (t === 'n') c.net = true;
    else if (t === 'mx2') c.mx2 = true;
    else if (t === 'a') c.apm = true;
    else if (t === 'ind') ind = true;
    else if (KINDS.some(([name]) => name === t)) kinds.push(t as KindName);
    else throw new RangeError(`mix config: unsupported expert ${t}`);
  }
  if (kinds.length > 0 && !ind) throw new RangeError('mix config: hashed kinds need "ind" (the specified stage always has histories)');
  c.kinds = kinds;
  return c;
}
