#!/usr/bin/env bash
# Prove the published package works: `npm pack` this tree, install the tarball
# into an empty project (dependencies come from the npm registry), then use
# both the library (require('nnc-native')) and the `nnc` command from there.
# Usage: scripts/pack-test.sh        (set KEEP=1 to keep the temp directory)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/nnc-pack-test.XXXXXX")"
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "npm pack (runs the prepare build)"
cd "$ROOT"
TGZ_NAME="$(npm pack --silent --pack-destination "$WORK" | tail -n 1)"
TGZ="$WORK/$TGZ_NAME"
[ -f "$TGZ" ] || { echo "npm pack did not produce $TGZ" >&2; exit 1; }
echo "$TGZ"

step "tarball contents"
CONTENTS="$(tar -tzf "$TGZ")"
for f in package/package.json package/bin/nnc.js package/dist/index.js package/dist/cli/nnc.js package/models/default.nncm; do
  if ! grep -qx "$f" <<<"$CONTENTS"; then echo "missing from the tarball: ${f#package/}" >&2; exit 1; fi
done
if grep -q '^package/test/' <<<"$CONTENTS"; then echo "tests were packed (check package.json \"files\")" >&2; exit 1; fi
echo "ok: $(wc -l <<<"$CONTENTS") files"

step "install into an empty project"
mkdir "$WORK/proj"
cd "$WORK/proj"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$TGZ"

step "library round trip"
node -e '
const nnc = require("nnc-native");
(async () => {
  const data = Buffer.from("a neural network predicts the next byte; rANS codes it. ".repeat(200));
  const packed = await nnc.compress(data);
  const back = await nnc.decompress(packed);
  if (!Buffer.from(back).equals(data)) throw new Error("round trip mismatch");
  console.log(`ok: ${data.length} -> ${packed.length} bytes, engine ${nnc.engineInfo().selected}`);
})().catch((e) => { console.error(e); process.exit(1); });
'

step "nnc command"
# `--` so npx does not take our -V/-v for its own options.
nnc() { npx --no -- nnc "$@"; }
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
echo "ok: nnc compress, test, list, decompress, model info"

step "pack test passed"
