/**
 * Reading and writing .nncm model files (docs/FORMAT.md section 1).
 * Every field is validated before anything sized by it is allocated.
 */
import { ErrorCodes, NncError } from '../errors.js';
import { toHex64, xxh64 } from '../xxhash64.js';
import type { HiddenLayer, ModelMetadata, ModelTensors, ParsedModel } from '../model/types.js';

export const MODEL_MAGIC = [0x89, 0x4e, 0x43, 0x4d] as const;
export const MODEL_VERSION = 1;
const HEADER = 16;
/** magic, version, flags, then the two section sizes (FORMAT.md 1.1). */
export const MODEL_HEADER_SIZE = HEADER;
const MAX_CANONICAL = 2 ** 28;
const MAX_META = 2 ** 20;
const ACC_LIMIT = 2 ** 31;
/** The largest file a valid model can be (FORMAT.md 1.1): readers refuse bigger ones unread. */
export const MAX_MODEL_FILE = HEADER + MAX_CANONICAL + MAX_META + 8;

const bad = (msg: string): NncError =>
  new NncError(ErrorCodes.BAD_MODEL, `invalid model file: ${msg}. Use a .nncm file written by nnc (nnc train or the bundled model).`);

/** Byte size of the canonical section implied by the dimensions. */
export function canonicalSize(k: number, E: number, A: number, T: number, H: number[]): number {
  let n = 8 + 2 * H.length + (A - 1) + (A + 1) * E;
  let nIn = k * E;
  for (const h of H) {
    n += h * nIn + 4 * h + 2 * h + 1;
    nIn = h;
  }
  n += A * nIn + 4 * A + 2 + 1 + 4 * T;
  return n;
}

export function serializeCanonical(t: ModelTensors): Uint8Array {
  const A = t.alphabet.length + 1;
  const H = t.hidden.map((l) => l.b.length);
  const size = canonicalSize(t.k, t.E, A, t.exp.length, H);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let p = 0;
  const u8 = (v: number) => dv.setUint8(p++, v);
  const u16 = (v: number) => { dv.setUint16(p, v, true); p += 2; };
  const bytes = (a: Int8Array | Uint8Array) => { out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), p); p += a.byteLength; };
  const i32s = (a: Int32Array) => { for (const v of a) { dv.setInt32(p, v, true); p += 4; } };
  const u16s = (a: Uint16Array) => { for (const v of a) u16(v); };
  u8(t.k); u8(t.E); u8(t.hidden.length); u8(0);
  u16(A); u16(t.exp.length);
  for (const h of H) u16(h);
  bytes(t.alphabet);
  bytes(t.emb);
  for (const l of t.hidden) { bytes(l.w); i32s(l.b); u16s(l.m); u8(l.s); }
  bytes(t.wOut); i32s(t.bOut); u16(t.mOut); u8(t.sOut);
  for (const v of t.exp) { dv.setUint32(p, v, true); p += 4; }
  if (p !== size) throw new NncError(ErrorCodes.INTERNAL, `model serializer wrote ${p} of ${size} bytes`);
  // Round-trip through the parser so we never write a file we would reject.
  parseCanonical(out);
  return out;
}

export function serializeModel(t: ModelTensors, metadata: ModelMetadata = {}): Uint8Array {
  const canonical = serializeCanonical(t);
  const meta = new TextEncoder().encode(JSON.stringify(metadata));
  if (meta.length > MAX_META) throw new NncError(ErrorCodes.INVALID_ARG, `model metadata is ${meta.length} bytes; at most ${MAX_META} are allowed`);
  const out = new Uint8Array(HEADER + canonical.length + meta.length + 8);
  const dv = new DataView(out.buffer);
  out.set(MODEL_MAGIC, 0);
  dv.setUint16(4, MODEL_VERSION, true);
  dv.setUint16(6, 0, true);
  dv.setUint32(8, canonical.length, true);
  dv.setUint32(12, meta.length, true);
  out.set(canonical, HEADER);
  out.set(meta, HEADER + canonical.length);
  dv.setBigUint64(out.length - 8, xxh64(out.subarray(0, out.length - 8)), true);
  return out;
}

/**
 * The section sizes a model file's first MODEL_HEADER_SIZE bytes state
 * (canonical C, metadata J; the whole file is 16 + C + J + 8 bytes), or null
 * when they do not start a model file. Nothing else is checked: for a reader
 * that wants only the canonical section (the ID); parseModel checks the rest.
 */
export function modelFileSections(head: Uint8Array): { canonical: number; metadata: number } | null {
  if (head.length < HEADER || MODEL_MAGIC.some((b, i) => head[i] !== b)) return null;
  const dv = new DataView(head.buffer, head.byteOffset, HEADER);
  return { canonical: dv.getUint32(8, true), metadata: dv.getUint32(12, true) };
}

export function parseModel(bytes: Uint8Array): ParsedModel {
  if (bytes.length < HEADER + 8) throw bad(`file is ${bytes.length} bytes, shorter than the ${HEADER + 8}-byte minimum`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MODEL_MAGIC[i]) throw bad('wrong magic (not an .nncm model)');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(4, true);
  if (version !== MODEL_VERSION) {
    throw new NncError(ErrorCodes.UNSUPPORTED, `model format version ${version} is not supported (this nnc reads version ${MODEL_VERSION}); upgrade nnc-native`);
  }
  if (dv.getUint16(6, true) !== 0) throw new NncError(ErrorCodes.UNSUPPORTED, 'model file has reserved flags set; it was written by a newer nnc: upgrade nnc-native');
  const { canonical: C, metadata: J } = modelFileSections(bytes)!;
  if (C < 1 || C > MAX_CANONICAL) throw bad(`canonical section size ${C} out of range`);
  if (J > MAX_META) throw bad(`metadata size ${J} out of range`);
  if (bytes.length !== HEADER + C + J + 8) throw bad(`file is ${bytes.length} bytes but its header says ${HEADER + C + J + 8}`);
  const sum = dv.getBigUint64(bytes.length - 8, true);
  if (sum !== xxh64(bytes.subarray(0, bytes.length - 8))) throw bad('checksum mismatch (the file is damaged)');
  const canonical = bytes.subarray(HEADER, HEADER + C);
  const tensors = parseCanonical(canonical);
  let metadata: ModelMetadata = {};
  if (J > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER + C, HEADER + C + J)));
    } catch {
      throw bad('metadata is not valid UTF-8 JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('metadata is not a JSON object');
    metadata = parsed as ModelMetadata;
  }
  return { tensors, metadata, id: toHex64(xxh64(canonical)), canonical, bytes };
}

/** Parse and validate the canonical section (FORMAT.md 1.2), copying tensors into aligned arrays. */
export function parseCanonical(c: Uint8Array): ModelTensors {
  const dv = new DataView(c.buffer, c.byteOffset, c.byteLength);
  if (c.length < 8) throw bad('canonical section too short');
  const k = c[0], E = c[1], L = c[2];
  if (k < 1 || k > 64) throw bad(`context length k = ${k} (must be 1..64)`);
  if (E < 1 || E > 64) throw bad(`embedding width ${E} (must be 1..64)`);
  if (L < 1 || L > 4) throw bad(`${L} hidden layers (must be 1..4)`);
  if (c[3] !== 0) throw bad('reserved byte is not 0');
  const A = dv.getUint16(4, true);
  const T = dv.getUint16(6, true);
  if (A < 2 || A > 257) throw bad(`alphabet size ${A} (must be 2..257)`);
  if (T < 2 || T > 4096) throw bad(`exp table length ${T} (must be 2..4096)`);
  if (c.length < 8 + 2 * L) throw bad('canonical section too short');
  const H: number[] = [];
  for (let l = 0; l < L; l++) {
    const h = dv.getUint16(8 + 2 * l, true);
    if (h < 1 || h > 4096) throw bad(`hidden layer ${l} width ${h} (must be 1..4096)`);
    H.push(h);
  }
  const expect = canonicalSize(k, E, A, T, H);
  if (expect !== c.length) throw bad(`canonical section is ${c.length} bytes but its dimensions need ${expect}`);

  let p = 8 + 2 * L;
  const alphabet = c.slice(p, p + A - 1); p += A - 1;
  for (let i = 1; i < alphabet.length; i++) if (alphabet[i] <= alphabet[i - 1]) throw bad('alphabet is not strictly increasing');
  const i8s = (n: number) => { const a = new Int8Array(n); a.set(new Int8Array(c.buffer, c.byteOffset + p, n)); p += n; return a; };
  const i32s = (n: number) => { const a = new Int32Array(n); for (let i = 0; i < n; i++, p += 4) a[i] = dv.getInt32(p, true); return a; };
  const u16s = (n: number) => { const a = new Uint16Array(n); for (let i = 0; i < n; i++, p += 2) a[i] = dv.getUint16(p, true); return a; };
  const shift = (what: string) => { const s = c[p++]; if (s < 1 || s > 40) throw bad(`${what} shift ${s} (must be 1..40)`); return s; };

  const emb = i8s((A + 1) * E);
  const hidden: HiddenLayer[] = [];
  let nIn = k * E;
  for (let l = 0; l < L; l++) {
    const w = i8s(H[l] * nIn);
    const b = i32s(H[l]);
    const m = u16s(H[l]);
    const s = shift(`layer ${l}`);
    checkBound(w, b, nIn, l === 0 ? 128 : 255, `layer ${l}`);
    hidden.push({ w, b, m, s });
    nIn = H[l];
  }
  const wOut = i8s(A * nIn);
  const bOut = i32s(A);
  const mOut = dv.getUint16(p, true); p += 2;
  const sOut = shift('output');
  checkBound(wOut, bOut, nIn, 255, 'output layer');
  const exp = new Uint32Array(T);
  for (let i = 0; i < T; i++, p += 4) exp[i] = dv.getUint32(p, true);
  if (exp[0] !== 65536) throw bad(`EXP[0] = ${exp[0]} (must be 65536)`);
  for (let i = 1; i < T; i++) if (exp[i] > exp[i - 1]) throw bad(`exp table increases at ${i}`);
  return { k, E, alphabet, emb, hidden, wOut, bOut, mOut, sOut, exp };
}

/** FORMAT.md 1.2 "Accumulator bound": no node can overflow a signed 32-bit accumulator. */
function checkBound(w: Int8Array, b: Int32Array, nIn: number, maxIn: number, what: string): void {
  for (let h = 0; h < b.length; h++) {
    let s = 0;
    for (let i = h * nIn, e = i + nIn; i < e; i++) s += Math.abs(w[i]);
    if (maxIn * s + Math.abs(b[h]) >= ACC_LIMIT) throw bad(`${what} node ${h} can overflow a 32-bit accumulator`);
  }
}
