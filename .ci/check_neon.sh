#!/usr/bin/env bash
# C++-level bit-exactness check of the row kernels (tests/native/kernel_check.cpp) against the
# scalar table:
#   1. cross-compiled for aarch64 (scalar + NEON) and run under qemu-user;
#   2. built natively on x86-64 (scalar + SSE4.1 + AVX2 + AVX-512, as this CPU supports them).
# Same warning flags as a -Werror build, and -ffp-contract=off as in cpp/CMakeLists.txt.
# Run from anywhere; needs Debian/Ubuntu apt-get only if the cross compiler or qemu is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }
start=$SECONDS

FLAGS=(-std=c++17 -O2 -Wall -Wextra -Wconversion -Werror -ffp-contract=off -Icpp/include -Icpp/src)
CHECK=tests/native/kernel_check.cpp
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

step "toolchain"
have() { command -v "$1" >/dev/null 2>&1; }
if ! have aarch64-linux-gnu-g++ || ! have qemu-aarch64-static; then
  echo "installing g++-aarch64-linux-gnu and qemu-user-static"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends \
    g++-aarch64-linux-gnu qemu-user-static >/dev/null
fi
aarch64-linux-gnu-g++ --version | head -n 1
qemu-aarch64-static --version | head -n 1
g++ --version | head -n 1

step "aarch64: cross-compile scalar + neon kernels"
aarch64-linux-gnu-g++ "${FLAGS[@]}" -DPIXNORM_HAVE_NEON=1 -static \
  cpp/src/kernels/scalar.cpp cpp/src/kernels/stats_generic.cpp cpp/src/kernels/neon.cpp cpp/src/dispatch.cpp "$CHECK" \
  -o "$OUT/kernel_check_aarch64"

step "aarch64: run under qemu-aarch64-static"
qemu-aarch64-static "$OUT/kernel_check_aarch64" --require neon

if [ "$(uname -m)" = x86_64 ]; then
  step "x86_64: compile scalar + sse41 + avx2 + avx512 kernels natively"
  g++ "${FLAGS[@]}" -DPIXNORM_HAVE_X86=1 \
    cpp/src/kernels/scalar.cpp cpp/src/kernels/stats_generic.cpp cpp/src/kernels/sse41.cpp cpp/src/kernels/avx2.cpp \
    cpp/src/kernels/avx512.cpp cpp/src/dispatch.cpp "$CHECK" \
    -o "$OUT/kernel_check_x86_64"

  step "x86_64: run"
  # Every x86-64 CI machine has AVX2; AVX-512 is checked when the CPU has it.
  "$OUT/kernel_check_x86_64" --require sse41,avx2
else
  step "x86_64: skipped (host is $(uname -m))"
fi

step "all kernel checks passed ($((SECONDS - start)) s)"
