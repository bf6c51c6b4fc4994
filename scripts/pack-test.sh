#!/usr/bin/env bash
# Prove the published package works: `npm pack` a copy of this tree (the
# prepack script builds the prebuilt binary with prebuildify), install the
# tarball into an empty project with no compiler on PATH (dependencies come
# from the npm registry), then use both the library (require('nnc-native'))
# and the `nnc` command from there.
# Usage: scripts/pack-test.sh        (set KEEP=1 to keep the temp directory)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/nnc-pack-test.XXXXXX")"
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
START=$SECONDS

# A copy, not the checkout: prebuildify runs `node-gyp rebuild`, which would
# throw away the checkout's incremental build/. Tracked and untracked files
# (not ignored ones), so stray files a developer leaves behind are packed
# exactly as `npm pack` in the checkout would see them.
step "copy the tree (tracked + untracked, not ignored)"
mkdir "$WORK/src"
(cd "$ROOT" && git ls-files -z -co --exclude-standard) \
  | (cd "$ROOT" && tar --null --ignore-failed-read -T - -cf -) 2>/dev/null \
  | tar -xf - -C "$WORK/src"
ln -s "$ROOT/node_modules" "$WORK/src/node_modules"
cd "$WORK/src"

# npm always packs README* at the root, whatever "files" says: the prepack
# check must refuse a stray README.md.nnc (the README's old set-up command
# left one) before anything is built.
step "npm pack refuses a stray README.md.nnc"
echo junk > README.md.nnc
if npm pack --silent --pack-destination "$WORK" > "$WORK/refused.log" 2>&1; then echo "npm pack packed README.md.nnc" >&2; exit 1; fi
grep -q 'README.md.nnc: npm always packs' "$WORK/refused.log" || { cat "$WORK/refused.log" >&2; exit 1; }
rm README.md.nnc
echo "ok: refused"

# Junk the "files" rules must keep out: an archive in a packed folder, a
# training checkpoint, a killed run's temp file.
echo junk > docs/notes.txt.nnc
echo junk > models/default.nncm.ckpt
echo junk > native/core/.frame.cc.123.abcd.tmp

step "npm pack (prepack: prebuildify --napi --strip --tag-libc; prepare: tsc)"
TGZ_NAME="$(npm pack --silent --pack-destination "$WORK" | tail -n 1)"
TGZ="$WORK/$TGZ_NAME"
[ -f "$TGZ" ] || { echo "npm pack did not produce $TGZ" >&2; exit 1; }
echo "$TGZ ($(( $(stat -c %s "$TGZ") / 1024 )) KiB, $((SECONDS - START)) s so far)"

step "tarball contents"
CONTENTS="$(tar -tzf "$TGZ")"
for f in package/package.json package/bin/nnc.js package/dist/index.js package/dist/cli/nnc.js package/models/default.nncm; do
  if ! grep -qx "$f" <<<"$CONTENTS"; then echo "missing from the tarball: ${f#package/}" >&2; exit 1; fi
done
if grep -q '^package/test/' <<<"$CONTENTS"; then echo "tests were packed (check package.json \"files\")" >&2; exit 1; fi
if grep -E '\.(nnc|ckpt|tmp|tgz|map)$' <<<"$CONTENTS"; then echo "junk was packed (above; check the \"!\" rules in package.json \"files\")" >&2; exit 1; fi
PREBUILD=""
if [ "$(node -p 'process.platform + "-" + process.arch')" = linux-x64 ]; then
  PREBUILD="$(grep -E '^package/prebuilds/linux-x64/[^/]*\.node$' <<<"$CONTENTS" || true)"
  [ -n "$PREBUILD" ] || { echo "no prebuilds/linux-x64/*.node in the tarball" >&2; exit 1; }
  echo "prebuilt: ${PREBUILD#package/}"
fi
echo "ok: $(wc -l <<<"$CONTENTS") files"

step "install into an empty project, no compiler on PATH"
# PATH holds only node, npm, npx and sh: no g++/cc/make/python3, so the
# install can only succeed by loading the prebuilt binary.
mkdir "$WORK/bin" "$WORK/proj"
for t in node npm npx sh; do ln -s "$(command -v "$t")" "$WORK/bin/$t"; done
NOCC_PATH="$WORK/bin"
for t in g++ c++ cc gcc make python3 python; do
  if PATH="$NOCC_PATH" command -v "$t" >/dev/null 2>&1; then echo "$t is still on the test PATH" >&2; exit 1; fi
done
cd "$WORK/proj"
PATH="$NOCC_PATH" npm init -y >/dev/null
PATH="$NOCC_PATH" npm install --no-audit --no-fund --loglevel=error "$TGZ"
if [ -n "$PREBUILD" ] && [ -e node_modules/nnc-native/build ]; then echo "the install compiled (build/ exists) instead of using the prebuild" >&2; exit 1; fi

step "library round trip"
PATH="$NOCC_PATH" EXPECT_PREBUILD=$([ -n "$PREBUILD" ] && echo 1 || echo 0) node -e '
const nnc = require("nnc-native");
(async () => {
  const data = Buffer.from("a neural network predicts the next byte; rANS codes it. ".repeat(200));
  const packed = await nnc.compress(data);
  const back = await nnc.decompress(packed);
  if (!Buffer.from(back).equals(data)) throw new Error("round trip mismatch");
  const info = nnc.engineInfo();
  const cpu = info.engines.find((e) => e.name === "cpu");
  const binary = require("nnc-native/dist/native/addon.js").loadAddon().addon?.path ?? "none";
  console.log(`cpu engine: ${cpu.available ? "available" : "NOT available: " + cpu.reason}; selected ${info.selected}; addon ${binary}`);
  if (process.env.EXPECT_PREBUILD === "1" && (!cpu.available || !/[\\/]prebuilds[\\/]/.test(binary))) throw new Error("the cpu engine did not load from prebuilds/");
  const viaCpu = await nnc.compress(data, { engine: "cpu" });
  if (!Buffer.from(await nnc.decompress(viaCpu, { engine: "cpu" })).equals(data)) throw new Error("cpu round trip mismatch");
  console.log(`ok: ${data.length} -> ${packed.length} bytes, engine ${info.selected}`);
})().catch((e) => { console.error(e); process.exit(1); });
'

step "nnc command"
# `--` so npx does not take our -V/-v for its own options.
nnc() { PATH="$NOCC_PATH" npx --no -- nnc "$@"; }
node -e 'process.stdout.write("installed packages are tested from the outside. ".repeat(300))' > sample.txt
nnc -V
nnc -v sample.txt
nnc -t sample.txt.nnc
nnc -l sample.txt.nnc
mv sample.txt sample.orig
nnc -d sample.txt.nnc
cmp sample.txt sample.orig
nnc model info > model-info.txt
grep -q '^parameters: ' model-info.txt
nnc -c sample.orig | nnc -dc | cmp - sample.orig
echo "ok: nnc compress, test, list, decompress, pipe round trip, model info"

step "pack test passed in $((SECONDS - START)) s"
