#!/bin/sh
# SPDX-License-Identifier: MIT
# tests/fuzz/run_model.sh [SECONDS] - builds the expression-model libFuzzer target (fuzz_model)
# with clang under ASan and UBSan and runs it for SECONDS (default 60) on the seed corpus
# tests/fuzz/corpus_model. Every 64th accepted model's C goes through the compiler
# (FUZZ_MODEL_COMPILE_EVERY). Environment and exit code as tests/fuzz/run.sh.
set -eu
seconds=${1:-60}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${IVP_FUZZ_BUILD:-$src/build-fuzz}
work=${IVP_FUZZ_WORK:-$build/fuzz-model-work}

CC=${CC:-clang} cmake -S "$src" -B "$build" -DIVP_FUZZ=ON -DIVP_SANITIZE=ON -DIVP_WERROR=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz_model -j"$(nproc)"

mkdir -p "$work/corpus" "$work/artifacts"
cd "$work"
# detect_odr_violation=0: the model sources are compiled into the target (for coverage) and are
# also in the shared libivp_spec it links, so their one global table exists twice.
exec env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_odr_violation=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    CC=cc "$build/tests/fuzz/fuzz_model" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 \
    -max_len=4096 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "$src/tests/fuzz/corpus_model"
