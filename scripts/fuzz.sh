#!/usr/bin/env bash
# Builds the libFuzzer harness for the TFLite reader with clang (ASan+UBSan) in
# build-fuzz/ and runs it for N seconds (default 60) from the fixture models.
# Exits non-zero if the fuzzer finds a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTFC_BUILD_TESTS=OFF -DTFC_BUILD_FUZZERS=ON >/dev/null
cmake --build build-fuzz --target fuzz_tflite_reader -j"$(nproc)"
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
find fixtures/models -name '*.tflite' -size -200k -exec cp {} "$corpus/" \;
build-fuzz/fuzz_tflite_reader -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048 \
  -timeout=10 -print_final_stats=1 -artifact_prefix=build-fuzz/ "$corpus" 2>&1 | tail -n 5
