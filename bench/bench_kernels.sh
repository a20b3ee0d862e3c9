#!/usr/bin/env bash
# Builds bench/bench_kernels.cpp natively (x86-64: scalar, SSE4.1, AVX2, AVX-512 kernel tables)
# with the flags of the kernel check and runs it: bash bench/bench_kernels.sh [rounds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${OUT:-$(mktemp -d)}
g++ -std=c++17 -O3 -ffp-contract=off -Wall -Wextra -Wconversion -Werror -Icpp/include -Icpp/src \
  -DPIXNORM_HAVE_X86=1 cpp/src/kernels/{scalar,stats_generic,sse41,avx2,avx512}.cpp \
  cpp/src/dispatch.cpp bench/bench_kernels.cpp -o "$OUT/bench_kernels"
"$OUT/bench_kernels" "$@"
