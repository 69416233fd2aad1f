#!/usr/bin/env bash
# Configures and builds tfcompress and its tests into build/ (Release with debug info).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTFC_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$(nproc)"
