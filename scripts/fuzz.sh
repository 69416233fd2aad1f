#!/usr/bin/env bash
# Builds every libFuzzer harness (tests/fuzz/fuzz_<name>.cc) with clang, ASan and
# UBSan in build-fuzz/, replays each harness's regression inputs
# (tests/fuzz/regressions/<name>/: every crash found so far), then fuzzes each
# from its seeds (tests/fuzz/corpus/<name>/; the reader also takes the fixture
# models under 200 KB, the Keras harnesses the files of tests/data/keras).
# Prints one line per harness with its executions; exits non-zero on any
# crash, hang, leak or sanitizer report (the input is kept in build-fuzz/artifacts/).
#   scripts/fuzz.sh [SECONDS] [NAME...]      CI: SECONDS in all (default 60), shared among the harnesses
#   scripts/fuzz.sh --long [RUNS] [NAME...]  RUNS executions per harness (default 1000000; docs/FUZZING.md)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=time
if [[ "${1:-}" == "--long" ]]; then
  mode=runs
  shift
fi
amount=$([[ $mode == runs ]] && echo 1000000 || echo 60)
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  amount="$1"
  shift
fi
if [[ "$amount" -eq 0 ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [NAME...] | scripts/fuzz.sh --long [RUNS] [NAME...]" >&2
  exit 2
fi
if [[ $# -gt 0 ]]; then
  names=("$@")
else
  names=()
  for f in tests/fuzz/fuzz_*.cc; do n=$(basename "$f" .cc); names+=("${n#fuzz_}"); done
fi

# -O1 with line tables and assertions on: what libFuzzer builds usually use
# (quicker to build than -O2 -g, asserts catch more, stacks still name lines).
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DTFC_BUILD_TESTS=OFF -DTFC_BUILD_FUZZERS=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "${names[@]/#/fuzz_}"

# Harnesses of parsers that read paths write each input to a scratch file under
# TMPDIR: memory-backed /dev/shm keeps them fast (a disk costs ~20x).
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p build-fuzz/artifacts build-fuzz/logs
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
share=$(( amount / ${#names[@]} > 0 ? amount / ${#names[@]} : 1 ))
failed=0
for name in "${names[@]}"; do
  fuzzer="build-fuzz/fuzz_$name"
  log="build-fuzz/logs/$name.log"
  flags=(-rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "-artifact_prefix=build-fuzz/artifacts/$name-")
  [[ $name == tflite_reader ]] && flags+=(-max_len=262144)
  # libhdf5 (the Keras harnesses) may ask for a large buffer for a damaged
  # length before checking it against the file's end, and leaks small blocks on
  # some error paths: such requests fail as they do outside the sanitizer, and
  # leaks inside libhdf5 are not reported (docs/FUZZING.md).
  sanitizer_env=()
  if [[ $name == keras_* ]]; then
    flags+=(-malloc_limit_mb=1048576)
    sanitizer_env=(ASAN_OPTIONS="$ASAN_OPTIONS:allocator_may_return_null=1"
                   LSAN_OPTIONS="suppressions=tests/fuzz/libhdf5.supp")
  fi
  : >"$log"
  regressions=(tests/fuzz/regressions/"$name"/*)
  if [[ -e "${regressions[0]}" ]]; then
    if ! env "${sanitizer_env[@]}" "$fuzzer" "${flags[@]}" "${regressions[@]}" >>"$log" 2>&1; then
      tail -n 30 "$log"
      echo "fuzz $name: FAILED replaying its regression inputs (log: $log)"
      failed=1
      continue
    fi
  else
    regressions=()
  fi
  corpus="$work/$name"
  mkdir -p "$corpus"
  [[ -d tests/fuzz/corpus/$name ]] && cp tests/fuzz/corpus/"$name"/* "$corpus/"
  [[ ${#regressions[@]} -gt 0 ]] && cp "${regressions[@]}" "$corpus/"
  [[ $name == tflite_reader ]] && find fixtures/models -name '*.tflite' -size -200k -exec cp {} "$corpus/" \;
  [[ $name == keras_archive ]] && cp tests/data/keras/*.keras "$corpus/"
  [[ $name == keras_h5 ]] && cp tests/data/keras/*.h5 "$corpus/"
  limit=("-max_total_time=$share")
  [[ $mode == runs ]] && limit=("-runs=$amount")
  start=$SECONDS
  if env "${sanitizer_env[@]}" "$fuzzer" "${flags[@]}" "${limit[@]}" "$corpus" >>"$log" 2>&1; then result="no crash"; else result=FAILED; failed=1; fi
  secs=$(( SECONDS - start ))
  execs=$(grep -o 'number_of_executed_units: [0-9]*' "$log" | tail -n 1 | awk '{print $2}')
  [[ $result == FAILED ]] && tail -n 30 "$log"
  echo "fuzz $name: ${execs:-?} executions in ${secs}s (${#regressions[@]} regression inputs replayed), $result"
done
exit "$failed"
