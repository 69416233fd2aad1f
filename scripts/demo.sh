#!/usr/bin/env bash
# The main job on the built-in default: a Fashion-MNIST CNN (fixtures/) and the
# real Fashion-MNIST test set (Debian's dataset-fashion-mnist). It inspects the
# model, checks it against three targets, writes it back through the IR,
# quantizes it to full int8 calibrated on 200 training images, runs the
# original, the written and the int8 model with tfcompress's reference runtime
# and with LiteRT on 1000 test images, and prints a report. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh >/dev/null

MODEL=${1:-fixtures/models/cnn_fmnist.tflite}
OUT=${TFC_DEMO_OUT:-out/demo}
mkdir -p "$OUT"
TFC=build/tfcompress

echo "== inspect $MODEL"
$TFC inspect "$MODEL"
$TFC inspect "$MODEL" --json > "$OUT/inspect.json"

echo "== operator compatibility"
for target in litert int8-only micro; do
  $TFC check "$MODEL" --target "$target" --json > "$OUT/check-$target.json" || true
  $TFC check "$MODEL" --target "$target" 2>/dev/null | head -n 6 || true
done

echo "== round trip through the graph IR"
$TFC convert "$MODEL" -o "$OUT/roundtrip.tflite"

echo "== quantize to int8 (200 representative training images, checked against 1000 test images)"
.venv/bin/python scripts/demo_data.py --out "$OUT/fmnist_rep.npz" --count 200 --representative
.venv/bin/python scripts/demo_data.py --out "$OUT/fmnist_test.npz" --count 1000
.venv/bin/python -c "import numpy as np, sys; np.savez(sys.argv[2], x=np.load(sys.argv[1])['input_0'])" \
  "$OUT/fmnist_test.npz" "$OUT/fmnist_val.npz"
$TFC quantize "$MODEL" -o "$OUT/int8.tflite" --mode int8 --representative "$OUT/fmnist_rep.npz" \
  --validation "$OUT/fmnist_val.npz" --debug --top 5

echo "== run on 1000 Fashion-MNIST test images"
$TFC run "$MODEL" --input "$OUT/fmnist_test.npz" --output "$OUT/ours.npz" >/dev/null
$TFC run "$OUT/roundtrip.tflite" --input "$OUT/fmnist_test.npz" --output "$OUT/ours_roundtrip.npz" >/dev/null
$TFC run "$OUT/int8.tflite" --input "$OUT/fmnist_test.npz" --output "$OUT/ours_int8.npz" >/dev/null
.venv/bin/python scripts/demo_report.py --model "$MODEL" --roundtrip "$OUT/roundtrip.tflite" \
  --data "$OUT/fmnist_test.npz" --ours "$OUT/ours.npz" --ours-roundtrip "$OUT/ours_roundtrip.npz" \
  --int8 "$OUT/int8.tflite" --ours-int8 "$OUT/ours_int8.npz" --json "$OUT/report.json"
