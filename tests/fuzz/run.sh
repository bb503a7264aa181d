#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/fuzz/run.sh [SECONDS] - builds the spec parser's libFuzzer target with clang under
# AddressSanitizer and UndefinedBehaviorSanitizer and runs it for SECONDS (default 60) on the
# seed corpus. Exits 0 if nothing was found; otherwise libFuzzer's exit code, with the crashing
# input saved as crash-* in the work folder it names.
#
# Environment: IVP_FUZZ_BUILD (build folder, default build-fuzz in the source tree),
# IVP_FUZZ_WORK (corpus and artefacts, default $IVP_FUZZ_BUILD/fuzz-work; the seeds in the
# repository are read, never written), CC (default clang).
set -eu
seconds=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${IVP_FUZZ_BUILD:-$src/build-fuzz}
work=${IVP_FUZZ_WORK:-$build/fuzz-work}

CC=${CC:-clang} cmake -S "$src" -B "$build" -DIVP_FUZZ=ON -DIVP_SANITIZE=ON -DIVP_WERROR=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_spec -j"$(nproc)"

mkdir -p "$work/corpus" "$work/artifacts"
cd "$work"
# The first folder is libFuzzer's own (it adds what it finds there); the others are seeds.
exec env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/tests/fuzz/fuzz_spec" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 -dict="$src/tests/fuzz/spec.dict" \
    -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "$src/tests/spec/valid" "$src/tests/spec/invalid" "$src/tests/spec/c_only" \
    "$src/tests/fuzz/corpus"
