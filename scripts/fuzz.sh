#!/usr/bin/env bash
# Fuzz the native decoders (npm run fuzz): builds native/fuzz with clang,
# libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer in build-fuzz/,
# writes the seed corpus (scripts/make-fuzz-corpus.mjs), replays the saved
# crash regressions (test/fixtures/fuzz-regressions/), runs the core tests
# under the sanitizers, then runs every target for SECONDS (default 60), and
# finally the TypeScript engine's property-based fuzz suite with more runs.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: container decode model roundtrip
#
# Each target runs every input once per SIMD variant of this CPU. A crash
# leaves its input in build-fuzz/crashes/TARGET/; minimize it
# (build-fuzz/native/fuzz/fuzz_TARGET -minimize_crash=1 FILE), fix the bug,
# and copy the input to test/fixtures/fuzz-regressions/TARGET/ so that this
# script and test/fuzz-regressions.test.ts replay it from then on.
# The corpus grows in build-fuzz/live/TARGET/ across runs.
#
# Environment: NNC_FUZZ_BUILD (build dir, default build-fuzz),
# NNC_FUZZ_SKIP_TS=1 (no TypeScript suite), NNC_FUZZ_SKIP_CORE=1 (no sanitized core tests).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER_TARGET="${1:-60}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(container decode model roundtrip)
B="${NNC_FUZZ_BUILD:-build-fuzz}"

if ! command -v clang++ >/dev/null 2>&1; then
  echo "fuzz: clang++ not found; install clang (Debian: apt-get install -y clang)" >&2
  exit 2
fi
[ -f dist/index.js ] || npm run build:ts >/dev/null
[ -f build-support/test/support/random.js ] || npm run build:support >/dev/null

cmake -S . -B "$B" -DCMAKE_CXX_COMPILER=clang++ -DNNC_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$B" -j "$(nproc)"
node scripts/make-fuzz-corpus.mjs "$B/corpus"

declare -A MAXLEN=([container]=16384 [decode]=8192 [model]=65536 [roundtrip]=1024)
status=0

# 1. Saved crashes must stay fixed.
for t in "${TARGETS[@]}"; do
  reg="test/fixtures/fuzz-regressions/$t"
  # Dotfiles (.gitkeep keeps empty folders in git) are not inputs.
  mapfile -t inputs < <(find "$reg" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | sort)
  if [ "${#inputs[@]}" -gt 0 ]; then
    echo "== $t: replaying ${#inputs[@]} regression inputs"
    "$B/native/fuzz/fuzz_$t" "${inputs[@]}" >/dev/null 2>"$B/regress-$t.log" || { cat "$B/regress-$t.log"; status=1; }
  fi
done

# 2. The core's own tests, sanitized.
if [ "${NNC_FUZZ_SKIP_CORE:-}" != 1 ]; then
  echo "== core tests under ASan + UBSan"
  "$B/nnc_tests" 4 | tail -1 || status=1
fi

# 3. The fuzz targets.
summary=()
for t in "${TARGETS[@]}"; do
  mkdir -p "$B/live/$t" "$B/crashes/$t"
  log="$B/fuzz-$t.log"
  echo "== fuzz_$t for ${SECONDS_PER_TARGET}s"
  set +e
  "$B/native/fuzz/fuzz_$t" -max_total_time="$SECONDS_PER_TARGET" -timeout=30 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -max_len="${MAXLEN[$t]}" -artifact_prefix="$B/crashes/$t/" -print_final_stats=1 \
    "$B/live/$t" "$B/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  corp=$(ls "$B/live/$t" | wc -l)
  if [ $rc -ne 0 ]; then
    status=1
    grep -E 'ERROR|runtime error|nnc fuzz|SUMMARY|Test unit written' "$log" | head -20
    summary+=("$(printf '%-10s FAILED (exit %d) after %s executions; see %s' "$t" "$rc" "$execs" "$log")")
  else
    summary+=("$(printf '%-10s %9s executions in %ss (%s/s), coverage %s edges, corpus %s' "$t" "$execs" "$SECONDS_PER_TARGET" "$rate" "$cov" "$corp")")
  fi
done

# 4. The TypeScript engine's property-based suite, with more runs than npm test gives it.
if [ "${NNC_FUZZ_SKIP_TS:-}" != 1 ]; then
  echo "== TypeScript property-based fuzz suite (NNC_FUZZ_RUNS=${NNC_FUZZ_RUNS:=2000})"
  NNC_FUZZ_RUNS="$NNC_FUZZ_RUNS" npx vitest run test/fuzz-ts.test.ts || status=1
fi

echo
variants=$(grep -ho 'runs on SIMD variants:.*' "$B"/fuzz-*.log 2>/dev/null | head -1 | sed 's/.*variants: *//')
echo "fuzz summary (every input runs once per SIMD variant: ${variants:-?})"
printf '  %s\n' "${summary[@]}"
exit $status
