#!/usr/bin/env node
/**
 * Unbounded streams: compress and decompress a generated stream of BYTES
 * (default 4 GiB) through the stream API and through the CLI (stdin →
 * stdout), each phase in its own process under /usr/bin/time, and report
 * peak RSS and throughput per phase. The content is checked (SHA-256 of the
 * generated stream = SHA-256 of what comes back), and the API's and the
 * CLI's archives must be byte-identical. Not a test: it takes a while (the
 * cpu engine codes a few MB/s per core). Figures: docs/RELIABILITY.md.
 *
 *   node scripts/stream-4g.mjs [--bytes N] [--only api|cli] [--dir DIR] [--json FILE] [-- NNC_OPTIONS...]
 *
 * The stream is pseudo-English from a seeded generator (compressible, never
 * repeating exactly); it is produced chunk by chunk, never held in memory.
 * Internal phases (--phase gen|hash|api-compress|api-decompress) are how the
 * script runs its children.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const dash = args.indexOf('--');
const nncArgs = dash >= 0 ? args.slice(dash + 1) : [];
const BYTES = Number(opt('--bytes', String(4 * 1024 ** 3)));
const CHUNK = 1 << 20;

/** The generated stream: BYTES of seeded pseudo-English, in 1 MiB chunks. */
function generator(bytes) {
  const words = (
    'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her ' +
    'she there been one all we their has would when if so no will more can who what said about out up them into some time stream ' +
    'frame lane model byte neural coder archive memory bounded generated'
  ).split(' ');
  let x = 0x2545f491;
  let left = bytes;
  return new Readable({
    read() {
      if (left === 0) return this.push(null);
      const n = Math.min(CHUNK, left);
      const b = Buffer.allocUnsafe(n);
      let p = 0;
      while (p < n) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const w = words[(x >>> 16) % words.length];
        const sep = (x >>> 8) % 17 === 0 ? '.\n' : (x >>> 8) % 7 === 0 ? ', ' : ' ';
        p += b.write(w + sep, p, 'latin1');
      }
      left -= n;
      this.push(b);
    },
  });
}

/** A sink that hashes and counts. */
function hasher(state) {
  const h = createHash('sha256');
  return new Writable({
    highWaterMark: CHUNK,
    write(c, _e, cb) {
      h.update(c);
      state.bytes += c.length;
      cb();
    },
    final(cb) {
      state.sha256 = h.digest('hex');
      cb();
    },
  });
}

function tap(state, hash) {
  const h = hash ? createHash('sha256') : undefined;
  return async function* (src) {
    for await (const c of src) {
      h?.update(c);
      state.bytes += c.length;
      yield c;
    }
    if (h) state.sha256 = h.digest('hex');
  };
}

const report = (o) => process.stderr.write('@@' + JSON.stringify(o) + '\n');

async function phase(name) {
  const nnc = await import(join(root, 'dist', 'index.js')).then((m) => m.default ?? m);
  const t0 = process.hrtime.bigint();
  const secs = () => Number(process.hrtime.bigint() - t0) / 1e9;
  if (name === 'gen') {
    const s = { bytes: 0 };
    await pipeline(generator(BYTES), tap(s, true), process.stdout);
    report({ phase: name, in: s.bytes, sha256: s.sha256 });
  } else if (name === 'hash') {
    const s = { bytes: 0 };
    await pipeline(process.stdin, hasher(s));
    report({ phase: name, out: s.bytes, sha256: s.sha256 });
  } else if (name === 'api-compress') {
    const i = { bytes: 0 };
    const o = { bytes: 0 };
    await pipeline(generator(BYTES), tap(i, true), nnc.createCompressStream(), tap(o, false), createWriteStream(opt('--archive')));
    report({ phase: name, in: i.bytes, out: o.bytes, sha256: i.sha256, seconds: secs() });
  } else if (name === 'api-decompress') {
    const o = { bytes: 0 };
    await pipeline(createReadStream(opt('--archive')), nnc.createDecompressStream(), hasher(o));
    report({ phase: name, out: o.bytes, sha256: o.sha256, seconds: secs() });
  }
}

/** Run a shell command line; return the @@ reports and /usr/bin/time's peak RSS (KiB) and seconds per timed process. */
function run(cmd, timeFile) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', cmd], { stdio: ['ignore', 'inherit', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const lines = err.split('\n');
      err = lines.pop();
      for (const l of lines) if (!l.startsWith('@@')) process.stderr.write(l + '\n');
      child.reports = [...(child.reports ?? []), ...lines.filter((l) => l.startsWith('@@')).map((l) => JSON.parse(l.slice(2)))];
    });
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${cmd} exited ${code}`));
      const [rssKiB, seconds] = readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
      resolve({ reports: child.reports ?? [], rssKiB, seconds });
    });
  });
}

async function main() {
  const dir = opt('--dir', join(tmpdir(), `nnc-stream-4g-${process.pid}`));
  mkdirSync(dir, { recursive: true });
  const only = opt('--only');
  const node = JSON.stringify(process.execPath);
  const me = JSON.stringify(self);
  const bin = JSON.stringify(join(root, 'bin', 'nnc.js'));
  const tf = join(dir, 'time.txt');
  const timed = (c) => `/usr/bin/time -f '%M %e' -o ${JSON.stringify(tf)} ${c}`;
  const results = { bytes: BYTES, node: process.version, nncArgs, phases: {} };
  const gb = BYTES / 1e9;
  const show = (name, r, bytes) => {
    results.phases[name] = { peakRssMiB: +(r.rssKiB / 1024).toFixed(1), seconds: r.seconds, mbPerSec: +(bytes / 1e6 / r.seconds).toFixed(2) };
    console.log(`${name.padEnd(16)} peak RSS ${(r.rssKiB / 1024).toFixed(1).padStart(7)} MiB   ${r.seconds.toFixed(0).padStart(6)} s   ${(bytes / 1e6 / r.seconds).toFixed(2)} MB/s (of uncompressed data)`);
  };
  console.log(`stream of ${BYTES} bytes (${gb.toFixed(2)} GB), node ${process.version}, work dir ${dir}`);
  const archives = {};

  if (only !== 'cli') {
    const a = join(dir, 'api.nnc');
    const c = await run(timed(`${node} ${me} --phase api-compress --bytes ${BYTES} --archive ${JSON.stringify(a)}`), tf);
    const ci = c.reports.find((r) => r.phase === 'api-compress');
    show('api compress', c, ci.in);
    const d = await run(timed(`${node} ${me} --phase api-decompress --archive ${JSON.stringify(a)}`), tf);
    const di = d.reports.find((r) => r.phase === 'api-decompress');
    show('api decompress', d, di.out);
    if (di.sha256 !== ci.sha256 || di.out !== ci.in) throw new Error('stream API: decompressed stream differs from the input');
    results.phases['api compress'].archiveBytes = ci.out;
    archives.api = a;
  }
  if (only !== 'api') {
    const a = join(dir, 'cli.nnc');
    const extra = nncArgs.map((x) => JSON.stringify(x)).join(' ');
    const c = await run(`${node} ${me} --phase gen --bytes ${BYTES} | ${timed(`${node} ${bin} -c ${extra}`)} > ${JSON.stringify(a)}`, tf);
    const gi = c.reports.find((r) => r.phase === 'gen');
    show('cli compress', c, gi.in);
    const d = await run(`${timed(`${node} ${bin} -dc ${extra} ${JSON.stringify(a)}`)} | ${node} ${me} --phase hash`, tf);
    const hi = d.reports.find((r) => r.phase === 'hash');
    show('cli decompress', d, hi.out);
    if (hi.sha256 !== gi.sha256 || hi.out !== gi.in) throw new Error('CLI: decompressed stream differs from the input');
    results.phases['cli compress'].archiveBytes = statSync(a).size;
    archives.cli = a;
  }
  if (archives.api && archives.cli) {
    const h = async (f) => {
      const s = { bytes: 0 };
      await pipeline(createReadStream(f), hasher(s));
      return s.sha256;
    };
    results.identicalArchives = statSync(archives.api).size === statSync(archives.cli).size && (await h(archives.api)) === (await h(archives.cli));
    console.log(`API and CLI archives identical: ${results.identicalArchives}`);
    if (!results.identicalArchives) throw new Error('the API and the CLI wrote different archives');
  }
  for (const a of Object.values(archives)) {
    results.ratio = +(statSync(a).size / BYTES).toFixed(4);
  }
  console.log(`content verified (SHA-256); archive/input = ${results.ratio}`);
  if (opt('--json')) writeFileSync(opt('--json'), JSON.stringify(results, null, 2) + '\n');
  if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
}

const p = opt('--phase');
(p ? phase(p) : main()).catch((e) => {
  console.error(`stream-4g: ${e.stack ?? e}`);
  process.exit(1);
});
