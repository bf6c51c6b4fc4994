/**
 * -l / --list: one row per archive from its frame headers alone (nothing is
 * decoded, no model is needed): sizes, ratio, bits per byte, method, level,
 * model, frames. A mixed frame's level and experts are in its parameter
 * block, the payload's first 8 bytes: those are read too, no more. Models
 * are named as their metadata names them where known (bundled, search path, -m).
 */
import * as fs from 'node:fs';
import { ArchiveReader, END_RECORD_SIZE } from '../format/archive.js';
import { FRAME_TRAILER_SIZE, type FrameHeader, storedChecksum } from '../format/frame.js';
import { type FrameInfo, frameInfo, infoBytes } from '../inspect.js';
import { inspect, loadModel } from '../index.js';
import { bundledModelsDir, modelName } from '../model/bundled.js';
import { modelSearchPath, modelsIn } from '../model/search.js';
import { Context, displayName } from './context.js';
import { formatBpb, formatRatio, table } from './text.js';
import { admitInput, openInput, type InputRules } from './input.js';
import { leftoverTempHint } from './tempfile.js';

const HEADER = ['compressed', 'uncompressed', 'ratio', 'bits/byte', 'method', 'level', 'model', 'frames', 'name'];
const RIGHT = [true, true, true, true, false, false, false, true, false];

type Summary = ReturnType<typeof inspect>;

/**
 * Inspect input that cannot be read at offsets (stdin, a FIFO, a device)
 * item by item as it arrives, holding one header's bytes and a frame's last
 * 8 at most: reading it whole first took memory without bound (`nnc -l
 * /dev/zero` grew by gigabytes) before finding bad magic at byte 0.
 */
async function inspectStream(stream: AsyncIterable<unknown>): Promise<Summary> {
  const reader = new ArchiveReader();
  const frames: Summary['frames'] = [];
  let contentSize = 0;
  let compressedSize = 0;
  let last: FrameHeader | undefined; // the last frame's header
  let head = Buffer.alloc(0); // the next item's bytes so far (a frame header or an end record)
  let skip = 0; // bytes of the current frame still to come after its header
  let tail = Buffer.alloc(0); // the last bytes of the current frame seen so far (its checksum at the end)
  // The current frame while its parameter block (infoBytes) is still arriving.
  let open: { header: FrameHeader; at: number; block: Buffer; want: number } | undefined;
  for await (const c of stream) {
    let chunk = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
    compressedSize += chunk.length;
    while (chunk.length > 0) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
        if (open) {
          open.block = Buffer.concat([open.block, chunk.subarray(0, Math.min(n, open.want - open.block.length))]);
          if (open.block.length === open.want) {
            frames.push(frameInfo(open.header, open.block, open.at));
            open = undefined;
          }
        }
        tail = Buffer.concat([tail, chunk.subarray(0, n)]);
        tail = tail.subarray(Math.max(0, tail.length - FRAME_TRAILER_SIZE));
        skip -= n;
        chunk = chunk.subarray(n);
        if (skip === 0) reader.frameChecksum(storedChecksum(tail));
        continue;
      }
      // 4 bytes say what the item is (headSize throws on bad magic at once), then its whole head.
      let need = reader.headSize(head);
      while (head.length < need && chunk.length > 0) {
        const n = Math.min(need - head.length, chunk.length);
        head = Buffer.concat([head, chunk.subarray(0, n)]);
        chunk = chunk.subarray(n);
        need = reader.headSize(head);
      }
      if (head.length < need) break;
      const item = reader.item(head);
      head = Buffer.alloc(0);
      if (item.kind === 'frame') {
        const want = infoBytes(item.header);
        if (want > 0) open = { header: item.header, at: item.at, block: Buffer.alloc(0), want };
        else frames.push(frameInfo(item.header));
        contentSize += item.header.contentSize;
        skip = item.size - need;
        last = item.header;
        tail = Buffer.alloc(0);
      }
    }
  }
  // A frame cut short: its size less what did not come is what is there.
  reader.finish(head, skip > 0 && last ? last.frameSize - skip : head.length);
  return { frames, contentSize, compressedSize };
}

/** A FIFO or device, opened without blocking, inspected as it is read. */
async function inspectSpecial(file: string, rules: InputRules): Promise<Summary> {
  const opened = await openInput(file, rules);
  try {
    return await inspectStream(opened.stream);
  } finally {
    await opened.close();
  }
}

/**
 * Inspect a file item by item (frame headers, end records) with the same
 * reader as every decoder, so memory stays small whatever the archive
 * (inspect() takes bytes in memory) and a cut archive is reported the same.
 */
async function inspectFile(file: string): Promise<Summary> {
  const fh = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK); // never blocks, whatever file it has become
  try {
    const size = (await fh.stat()).size;
    const frames: Summary['frames'] = [];
    let contentSize = 0;
    const read = async (at: number, n: number): Promise<Buffer> => {
      const buf = Buffer.alloc(Math.max(0, Math.min(n, size - at)));
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, at + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return buf.subarray(0, got);
    };
    // Headers and end records only: payloads are skipped, a frame's checksum
    // (its last 8 bytes) is read for the end record's check.
    const reader = new ArchiveReader();
    while (reader.offset < size) {
      const pos = reader.offset;
      const need = reader.headSize(await read(pos, 4));
      const head = await read(pos, need);
      if (head.length < need) break;
      const item = reader.item(head);
      if (item.kind === 'end') continue;
      if (size - pos < item.size) break;
      const block = await read(pos + need, infoBytes(item.header));
      reader.frameChecksum(storedChecksum(await read(pos + item.size - FRAME_TRAILER_SIZE, FRAME_TRAILER_SIZE)));
      frames.push(frameInfo(item.header, block, pos));
      contentSize += item.header.contentSize;
    }
    reader.finish(await read(reader.offset, Math.min(size - reader.offset, END_RECORD_SIZE)), size - reader.offset);
    return { frames, contentSize, compressedSize: size };
  } finally {
    await fh.close();
  }
}

/** Model names by ID: what -l prints for a model it knows; an unknown one is shown by its ID. */
type Names = Map<string, string>;

/**
 * The models -l can name: the bundled ones, those of the search path
 * (--model-path, NNC_MODEL_PATH) and the one given with -m. Listing needs
 * no model, so a model that does not load costs only its name.
 */
function knownNames(ctx: Context): Names {
  const names: Names = new Map();
  try {
    for (const m of modelsIn([bundledModelsDir(), ...modelSearchPath(ctx.opts.modelPath)])) names.set(m.id, modelName(m));
  } catch {
    // A damaged model in a directory: those frames show their IDs.
  }
  if (ctx.opts.model !== undefined && ctx.opts.model !== 'auto') {
    try {
      const m = loadModel(ctx.opts.model);
      names.set(m.id, modelName(m));
    } catch {
      // As above.
    }
  }
  return names;
}

const nameOf = (names: Names, id: string): string => names.get(id) ?? id;

/**
 * The model(s) an archive needs, by name where known (else ID): those of the
 * frames that need one, joined by '+' when frames chose different models
 * (e.g. text+dna), or (none does) the informational one.
 */
function modelColumn(frames: FrameInfo[], names: Names): string {
  const needed = new Set(frames.filter((f) => f.needsModel).map((f) => f.modelId));
  if (needed.size > 0) return [...needed].map((id) => nameOf(names, id)).join('+');
  return frames.length > 0 ? nameOf(names, frames[0].modelId) : '-';
}

/** The distinct values of `of` over the frames, in order of first appearance. */
const distinct = <T>(frames: FrameInfo[], of: (f: FrameInfo) => T | null): T[] =>
  [...new Set(frames.map(of).filter((v): v is T => v !== null))];

/** The archive's method(s): one name, or several joined by '+' (e.g. mixed+stored: frames that did not shrink were stored). */
const methodColumn = (frames: FrameInfo[]): string => distinct(frames, (f) => f.method).join('+') || '-';

/**
 * The level(s) that wrote the coded frames (a stored frame has none): '6',
 * or '1,6' for an archive of both; '-' when all are stored, '?' for a mixed
 * frame whose writer named no level.
 */
const levelColumn = (frames: FrameInfo[]): string => distinct(frames, (f) => (f.level === 0 ? '?' : f.level)).join(',') || '-';

/** One frame for -l -v. */
function frameLine(f: FrameInfo, i: number, names: Names): string {
  const how =
    f.method === 'stored'
      ? 'stored'
      : f.method === 'neural'
        ? `neural (method 1), level 1, ${f.lanes} lane${f.lanes === 1 ? '' : 's'}`
        : `mixed (method 2), level ${f.level || '? (none named)'}, ${f.lanes} lane${f.lanes === 1 ? '' : 's'}, ` +
          `experts ${f.experts!.join(',') || '(none)'}, tables HB ${f.tables!.hb} MB ${f.tables!.mb} A2B ${f.tables!.a2b}`;
  return (
    `  frame ${i}: ${how}, content ${f.contentSize}, payload ${f.payloadSize}, frame ${f.frameSize}, ` +
    `lane size ${f.laneSize}, model ${names.has(f.modelId) ? `${names.get(f.modelId)} (${f.modelId})` : f.modelId}${f.needsModel || f.method === 'stored' ? '' : ' (not needed)'}`
  );
}

export async function listArchives(ctx: Context, inputs: string[]): Promise<void> {
  const rows: string[][] = [HEADER];
  let totalIn = 0;
  let totalOut = 0;
  let totalFrames = 0;
  let listed = 0;
  const details: string[] = [];
  const names = knownNames(ctx);
  for (const input of inputs) {
    const name = displayName(input);
    try {
      const hint = input === '-' ? undefined : leftoverTempHint(input);
      if (hint) ctx.warn(name, hint);
      // Nothing is written: anything readable may be listed, links followed.
      const rules: InputRules = { regularOnly: false, followLinks: true };
      const st = input === '-' ? undefined : await admitInput(ctx, name, input, rules);
      if (input !== '-' && !st) continue;
      const info =
        input === '-' ? await inspectStream(ctx.io.stdin) : st!.isFile() ? await inspectFile(input) : await inspectSpecial(input, rules);
      const c = info.compressedSize;
      const u = info.contentSize;
      rows.push([
        String(c), String(u), formatRatio(u, c), formatBpb(u, c), methodColumn(info.frames), levelColumn(info.frames), modelColumn(info.frames, names),
        String(info.frames.length), name,
      ]);
      totalIn += u;
      totalOut += c;
      totalFrames += info.frames.length;
      listed++;
      if (ctx.opts.verbosity > 1) {
        details.push(`${name}:`);
        info.frames.forEach((f, i) => details.push(frameLine(f, i, names)));
      }
    } catch (e) {
      ctx.error(name, e);
    }
  }
  if (listed === 0) return;
  if (listed > 1) {
    rows.push([String(totalOut), String(totalIn), formatRatio(totalIn, totalOut), formatBpb(totalIn, totalOut), '', '', '', String(totalFrames), `(${listed} files)`]);
  }
  ctx.io.stdout.write(table(rows, RIGHT) + '\n');
  if (details.length > 0) ctx.io.stdout.write(details.join('\n') + '\n');
}
