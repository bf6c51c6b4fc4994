/**
 * -l / --list: one row per archive from its frame headers alone (nothing is
 * decoded, no model is needed): sizes, ratio, bits per byte, model, frames.
 */
import * as fs from 'node:fs';
import { ArchiveReader, END_RECORD_SIZE } from '../format/archive.js';
import { FRAME_TRAILER_SIZE, storedChecksum } from '../format/frame.js';
import { frameInfo } from '../inspect.js';
import { inspect } from '../index.js';
import { Context, displayName } from './context.js';
import { formatBpb, formatRatio, table } from './text.js';
import { admitInput, openInput, type InputRules } from './input.js';
import { leftoverTempHint } from './tempfile.js';

const HEADER = ['compressed', 'uncompressed', 'ratio', 'bits/byte', 'model', 'frames', 'name'];
const RIGHT = [true, true, true, true, false, true, false];

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
  let head = Buffer.alloc(0); // the next item's bytes so far (a frame header or an end record)
  let skip = 0; // bytes of the current frame still to come after its header
  let tail = Buffer.alloc(0); // the last bytes of the current frame seen so far (its checksum at the end)
  for await (const c of stream) {
    let chunk = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
    compressedSize += chunk.length;
    while (chunk.length > 0) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length);
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
        frames.push(frameInfo(item.header));
        contentSize += item.header.contentSize;
        skip = item.size - need;
        tail = Buffer.alloc(0);
      }
    }
  }
  // A frame cut short: its size less what did not come is what is there.
  reader.finish(head, skip > 0 ? frames[frames.length - 1].frameSize - skip : head.length);
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
      reader.frameChecksum(storedChecksum(await read(pos + item.size - FRAME_TRAILER_SIZE, FRAME_TRAILER_SIZE)));
      frames.push(frameInfo(item.header));
      contentSize += item.header.contentSize;
    }
    reader.finish(await read(reader.offset, Math.min(size - reader.offset, END_RECORD_SIZE)), size - reader.offset);
    return { frames, contentSize, compressedSize: size };
  } finally {
    await fh.close();
  }
}

/** The model(s) an archive needs: the neural frames' model IDs, or (all stored) the informational one. */
function modelColumn(frames: { method: string; modelId: string }[]): string {
  const neural = new Set(frames.filter((f) => f.method === 'neural').map((f) => f.modelId));
  if (neural.size > 0) return [...neural].join(',');
  return frames.length > 0 ? frames[0].modelId : '-';
}

export async function listArchives(ctx: Context, inputs: string[]): Promise<void> {
  const rows: string[][] = [HEADER];
  let totalIn = 0;
  let totalOut = 0;
  let totalFrames = 0;
  let listed = 0;
  const details: string[] = [];
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
      rows.push([String(c), String(u), formatRatio(u, c), formatBpb(u, c), modelColumn(info.frames), String(info.frames.length), name]);
      totalIn += u;
      totalOut += c;
      totalFrames += info.frames.length;
      listed++;
      if (ctx.opts.verbosity > 1) {
        details.push(`${name}:`);
        info.frames.forEach((f, i) => {
          details.push(
            `  frame ${i}: ${f.method}, content ${f.contentSize}, payload ${f.payloadSize}, ` +
              `frame ${f.frameSize}, lane size ${f.laneSize}, model ${f.modelId}`,
          );
        });
      }
    } catch (e) {
      ctx.error(name, e);
    }
  }
  if (listed === 0) return;
  if (listed > 1) {
    rows.push([String(totalOut), String(totalIn), formatRatio(totalIn, totalOut), formatBpb(totalIn, totalOut), '', String(totalFrames), `(${listed} files)`]);
  }
  ctx.io.stdout.write(table(rows, RIGHT) + '\n');
  if (details.length > 0) ctx.io.stdout.write(details.join('\n') + '\n');
}
