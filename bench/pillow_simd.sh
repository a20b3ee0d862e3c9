#!/usr/bin/env bash
# bench_preprocess.py against Pillow-SIMD: the pillow-simd fork installs as PIL, so it gets its own
# virtual environment (never the project's). Built from source with AVX2 (its README's way);
# the benchmark then labels the Pillow peer "Pillow-SIMD". Needs a C compiler and the zlib and
# libjpeg headers (Debian: zlib1g-dev libjpeg-dev).
#
# Usage: bash bench/pillow_simd.sh [VENV_DIR] [bench_preprocess.py options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VENV=${1:-.bench-pillow-simd}
shift || true
PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_PROGRESS_BAR=off
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q numpy
  CC="cc -mavx2" "$VENV/bin/pip" install -q --no-binary :all: --no-cache-dir pillow-simd
fi
"$VENV/bin/pip" install -q .
"$VENV/bin/python" bench/bench_preprocess.py "$@"
