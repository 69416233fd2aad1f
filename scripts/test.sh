#!/usr/bin/env bash
# Runs every test: installs dependencies, builds, runs the C++ suite (CTest),
# the interop tests against the real LiteRT runtime (pytest), and a short
# libFuzzer run of the model reader. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== C++ tests (ctest)"
(cd build && ctest --output-on-failure -j"$(nproc)") | tee "$logs/ctest.txt"

echo "== interop tests against LiteRT (pytest)"
.venv/bin/python -m pytest -q tests/python | tee "$logs/pytest.txt"

echo "== fuzzing the model reader (${TFC_FUZZ_SECONDS:-60}s)"
scripts/fuzz.sh "${TFC_FUZZ_SECONDS:-60}"

# One closing line over both suites (the fuzz run fails the script on a crash).
ctest_total=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\2/p' "$logs/ctest.txt")
ctest_failed=$(sed -n 's/.*tests passed, \([0-9]*\) tests failed out of.*/\1/p' "$logs/ctest.txt")
ctest_skipped=$(grep -c '(Skipped)' "$logs/ctest.txt" || true)
py_passed=$(grep -oE '[0-9]+ passed' "$logs/pytest.txt" | tail -1 | cut -d' ' -f1)
py_skipped=$(grep -oE '[0-9]+ skipped' "$logs/pytest.txt" | tail -1 | cut -d' ' -f1)
passed=$((ctest_total - ctest_failed - ctest_skipped + ${py_passed:-0}))
echo "tests: $passed passed, $ctest_failed failed, $((ctest_skipped + ${py_skipped:-0})) skipped"
