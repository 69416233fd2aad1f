#!/usr/bin/env bash
# Runs every test: installs dependencies, builds, runs the C++ suite (CTest),
# the interop tests against the real LiteRT runtime (pytest), and a short
# libFuzzer run of the model reader. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh

echo "== C++ tests (ctest)"
(cd build && ctest --output-on-failure -j"$(nproc)")

echo "== interop tests against LiteRT (pytest)"
.venv/bin/python -m pytest -q tests/python

echo "== fuzzing the model reader (${TFC_FUZZ_SECONDS:-60}s)"
scripts/fuzz.sh "${TFC_FUZZ_SECONDS:-60}"
