#!/usr/bin/env bash
# Builds a real llama.cpp llama-server and writes a tiny random-weight model, using only the npm registry:
# llama.cpp's source ships inside the npm package node-llama-cpp (llama/gitRelease.bundle, a git bundle).
# Cached in $MODEL_CHAT_LLAMA_HOME (default ~/.cache/model-chat-llama-server); prints that folder on stdout.
# Needs git, cmake, g++, python3 with numpy (.ci/run installs the Debian packages when missing).
# Build time on 2 cores: about 6 minutes (-O0; Release takes ~14 and streams ~6x faster, which we don't need).
set -euo pipefail
VERSION="3.21.1" # node-llama-cpp; newer releases may make npm refuse the lock
dir="${MODEL_CHAT_LLAMA_HOME:-$HOME/.cache/model-chat-llama-server}"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/dl"
cd "$dir"
bin="llama.cpp/build/bin/llama-server"
if [ ! -x "$bin" ]; then
  # Run nested in npm, we inherit npm_config_* variables that the inner npm would read as its own config.
  while IFS='=' read -r name _; do case "$name" in npm_*|NPM_*) unset "$name" ;; esac; done < <(env)
  [ -f "dl/node-llama-cpp-$VERSION.tgz" ] || (cd dl && npm pack --silent "node-llama-cpp@$VERSION" >/dev/null)
  rm -rf nlc && mkdir nlc
  tar xzf "dl/node-llama-cpp-$VERSION.tgz" -C nlc package/llama/gitRelease.bundle
  [ -d llama.cpp/.git ] || git -c advice.detachedHead=false clone -q nlc/package/llama/gitRelease.bundle llama.cpp
  rm -rf nlc
  cmake -S llama.cpp -B llama.cpp/build -DCMAKE_BUILD_TYPE=None -DCMAKE_C_FLAGS=-O0 -DCMAKE_CXX_FLAGS=-O0 \
    -DBUILD_SHARED_LIBS=OFF -DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF >&2
  nice -n 10 cmake --build llama.cpp/build --target llama-server -j"${JOBS:-2}" >&2
fi
model="tiny.gguf"
if [ ! -f "$model" ] || [ "$here/make_tiny_gguf.py" -nt "$model" ]; then
  PYTHONPATH=llama.cpp/gguf-py python3 "$here/make_tiny_gguf.py" llama.cpp/models/ggml-vocab-llama-spm.gguf "$model" >&2
fi
echo "$dir"
