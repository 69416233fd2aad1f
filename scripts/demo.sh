#!/usr/bin/env bash
# The main job on the built-in default: a Fashion-MNIST CNN (fixtures/) and the
# real Fashion-MNIST test set (Debian's dataset-fashion-mnist). It inspects the
# model and checks it against three targets; makes float16, dynamic-range and
# full-int8 variants (int8 calibrated on 200 training images); records the
# baseline and evaluates every variant on 1000 test images into one report
# (report.json, report.md, report.html); gates each variant against a budget
# relative to the baseline (at most 1% accuracy lost, at least 40% smaller, at
# most 1.5 times the baseline's p50 latency, scripts/demo_budget.json); pushes
# the variants to a model registry and promotes the smallest that passes;
# and cross-checks tfcompress's results against LiteRT. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh >/dev/null

MODEL=${1:-fixtures/models/cnn_fmnist.tflite}
OUT=${TFC_DEMO_OUT:-out/demo}
REGISTRY=${TFC_REGISTRY:-$OUT/registry}
mkdir -p "$OUT"
TFC=build/tfcompress
FMNIST=/usr/share/datasets/fashion-mnist
TEST_DATA="$FMNIST/t10k-images-idx3-ubyte.gz,$FMNIST/t10k-labels-idx1-ubyte.gz"

echo "== inspect $MODEL"
$TFC inspect "$MODEL"
$TFC inspect "$MODEL" --json > "$OUT/inspect.json"

echo "== operator compatibility"
for target in litert int8-only micro; do
  $TFC check "$MODEL" --target "$target" --json > "$OUT/check-$target.json" || true
  $TFC check "$MODEL" --target "$target" 2>/dev/null | head -n 6 || true
done

echo "== compressed variants: float16, dynamic-range int8, full int8"
.venv/bin/python scripts/demo_data.py --out "$OUT/fmnist_rep.npz" --count 200 --representative
.venv/bin/python scripts/demo_data.py --out "$OUT/fmnist_test.npz" --count 1000
$TFC quantize "$MODEL" -o "$OUT/fp16.tflite" --mode fp16
$TFC quantize "$MODEL" -o "$OUT/dynamic.tflite" --mode dynamic
$TFC quantize "$MODEL" -o "$OUT/int8.tflite" --mode int8 --representative "$OUT/fmnist_rep.npz" \
  --validation "$OUT/fmnist_test.npz" --debug --top 5

echo "== baseline: the original model on 1000 Fashion-MNIST test images"
$TFC baseline "$MODEL" --data "$TEST_DATA" --input-scale 0.00392156862745098 --samples 1000 \
  -o "$OUT/baseline.json"

echo "== evaluate every variant on the same images and settings"
$TFC eval "$OUT/fp16.tflite" "$OUT/dynamic.tflite" "$OUT/int8.tflite" --data "$TEST_DATA" \
  --baseline "$OUT/baseline.json" -o "$OUT/report"

echo "== gate: accuracy, and size, latency and memory against the baseline (scripts/demo_budget.json)"
cat scripts/demo_budget.json
passing=()
for v in fp16 dynamic int8; do
  if $TFC gate "$OUT/report/report.json" --budget scripts/demo_budget.json --model "$v"; then passing+=("$v"); fi
done

echo "== registry ($REGISTRY): push every variant with its report, promote the smallest that passes"
for v in fp16 dynamic int8; do
  $TFC registry push "$OUT/$v.tflite" --name "$v" --report "$OUT/report/report.json" --registry "$REGISTRY"
done
if ((${#passing[@]})); then
  best=$(.venv/bin/python -c "
import json, sys
r = json.load(open(sys.argv[1]))
ok = [m for m in r['models'] if m['name'] in sys.argv[2:]]
print(min(ok, key=lambda m: m['size']['raw_bytes'])['name'])" "$OUT/report/report.json" "${passing[@]}")
  $TFC registry promote "$OUT/$best.tflite" --registry "$REGISTRY"
else
  echo "no variant meets the budget: nothing promoted"
fi
$TFC registry list --registry "$REGISTRY"

echo "== cross-check against LiteRT on the same 1000 images"
$TFC convert "$MODEL" -o "$OUT/roundtrip.tflite"
$TFC run "$MODEL" --input "$OUT/fmnist_test.npz" --output "$OUT/ours.npz" >/dev/null
$TFC run "$OUT/roundtrip.tflite" --input "$OUT/fmnist_test.npz" --output "$OUT/ours_roundtrip.npz" >/dev/null
$TFC run "$OUT/int8.tflite" --input "$OUT/fmnist_test.npz" --output "$OUT/ours_int8.npz" >/dev/null
.venv/bin/python scripts/demo_report.py --model "$MODEL" --roundtrip "$OUT/roundtrip.tflite" \
  --data "$OUT/fmnist_test.npz" --ours "$OUT/ours.npz" --ours-roundtrip "$OUT/ours_roundtrip.npz" \
  --int8 "$OUT/int8.tflite" --ours-int8 "$OUT/ours_int8.npz" --json "$OUT/litert_check.json"

echo
echo "== report"
cat "$OUT/report/report.md"
echo
echo "report files: $OUT/report/report.json, $OUT/report/report.md, $OUT/report/report.html"
