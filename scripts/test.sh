#!/usr/bin/env bash
# Runs every test: installs dependencies, builds, then three suites, each run
# to its end whatever the others did:
#   ctest   the C++ suite (GoogleTest through CTest);
#   pytest  the interop tests against the real LiteRT runtime (-rfEs: every skip
#           is listed with its reason);
#   fuzz    a short libFuzzer run of the parsers (scripts/fuzz.sh), one test.
# Each suite's exit status and counts are printed, then always one closing line
# over all of them:
#   tests: N passed, N failed, N skipped
# pytest's errors count as failed, and a suite (or the build) that exits
# non-zero without a failure counted (a crash, a collection error, no tests
# found) counts as one failure. Exits 1 if anything failed, else 0.
# Environment, to run a part (the closing line then counts only that part):
#   TFC_CTEST_ARGS    more ctest arguments, e.g. "-R Golden" (word-split)
#   TFC_PYTEST_ARGS   pytest paths and selection instead of "tests/python"
#                     (word-split), e.g. "tests/python/test_eval.py -k report"
#   TFC_FUZZ_SECONDS  seconds of fuzzing (default 60); 0 skips the fuzz suite,
#                     counted as one skip
set -uo pipefail
cd "$(dirname "$0")/.."

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0 failed=0 skipped=0

# An attribute of the first <testsuite> element of a JUnit XML file; 0 if absent.
junit_count() {
  local element
  element=$(tr '\n\t' '  ' 2>/dev/null <"$1" | grep -o '<testsuite [^>]*>' | head -n 1)
  if [[ $element =~ \ $2=\"([0-9]+)\" ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}

# record SUITE EXIT_STATUS TESTS FAILED SKIPPED [DETAIL]: adds a suite's counts.
record() {
  local suite=$1 rc=$2 tests=$3 nfailed=$4 nskipped=$5 detail=${6:-}
  if [ "$rc" -ne 0 ] && [ "$nfailed" -eq 0 ]; then nfailed=1; fi
  local npassed=$((tests - nfailed - nskipped))
  ((npassed < 0)) && npassed=0
  echo "$suite: exit status $rc; passed $npassed, failed $nfailed, skipped $nskipped$detail"
  passed=$((passed + npassed)) failed=$((failed + nfailed)) skipped=$((skipped + nskipped))
}

closing_line() {
  echo "tests: $passed passed, $failed failed, $skipped skipped"
  [ "$failed" -eq 0 ]
  exit
}

scripts/setup.sh || { record setup $? 0 1 0; closing_line; }
scripts/build.sh || { record build $? 0 1 0; closing_line; }

echo "== C++ tests (ctest)"
# shellcheck disable=SC2086  # TFC_CTEST_ARGS is word-split on purpose
(cd build && ctest --output-on-failure --no-tests=error -j"$(nproc)" --output-junit "$logs/ctest.xml" \
  ${TFC_CTEST_ARGS:-})
rc=$?
record ctest $rc "$(junit_count "$logs/ctest.xml" tests)" "$(junit_count "$logs/ctest.xml" failures)" \
  "$(junit_count "$logs/ctest.xml" skipped)"

echo "== interop tests against LiteRT (pytest)"
# shellcheck disable=SC2086  # TFC_PYTEST_ARGS is word-split on purpose
.venv/bin/python -m pytest -q -rfEs --junitxml="$logs/pytest.xml" ${TFC_PYTEST_ARGS:-tests/python}
rc=$?
errors=$(junit_count "$logs/pytest.xml" errors)
record pytest $rc "$(junit_count "$logs/pytest.xml" tests)" \
  $(($(junit_count "$logs/pytest.xml" failures) + errors)) "$(junit_count "$logs/pytest.xml" skipped)" \
  " (failed includes $errors error(s))"

fuzz_seconds=${TFC_FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" = 0 ]; then
  echo "== fuzzing skipped (TFC_FUZZ_SECONDS=0)"
  record fuzz 0 1 0 1
else
  echo "== fuzzing the parsers (${fuzz_seconds}s)"
  scripts/fuzz.sh "$fuzz_seconds"
  rc=$?
  record fuzz $rc 1 0 0
fi

closing_line
