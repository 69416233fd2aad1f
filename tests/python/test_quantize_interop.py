"""`tfcompress quantize` against the real LiteRT runtime and the TFLite converter:
- fp16 and dynamic outputs of every Fashion-MNIST fixture load and run in LiteRT
  and keep the float model's top-1 class on the golden images;
- fp16: LiteRT's outputs on our cnn_fmnist file and on the converter's
  cnn_fmnist_fp16.tflite agree within 1e-5; the file sizes within 2%;
- dynamic: LiteRT's outputs on our file and on the converter's
  cnn_fmnist_dynamic.tflite agree within 1e-5 (same int8 weights, scales, op
  versions); our file is at most 1.02x the converter's;
- the report (--json); int8 / int16x8 without calibration data exit 2.
"""
import json

import numpy as np
import pytest

from conftest import FIXTURES, litert_run, max_rel_err, run_cli

MODELS = FIXTURES / "models"
FMNIST = ["mlp_fmnist", "cnn_fmnist", "cnn_fmnist_fp16", "mobilenet_fmnist"]


def golden_inputs(name):
    return [np.load(FIXTURES / "golden" / f"{name}.npz")["input_0"]]


def quantize(src, out, *flags):
    run_cli("quantize", MODELS / f"{src}.tflite", "-o", out, *flags)
    return out


@pytest.mark.parametrize("mode", ["fp16", "dynamic"])
@pytest.mark.parametrize("name", FMNIST)
def test_quantized_fixtures_run_in_litert_and_keep_top1(name, mode, tmp_path, cli):
    ours = quantize(name, tmp_path / f"{name}_{mode}.tflite", "--mode", mode)
    x = golden_inputs(name)
    ref = litert_run(MODELS / f"{name}.tflite", x)[0]
    out = litert_run(ours, x)[0]
    assert out.shape == ref.shape and out.dtype == ref.dtype
    assert np.all(np.isfinite(out))
    assert np.array_equal(out.argmax(-1), ref.argmax(-1)), "top-1 must agree with the float model"
    if not name.endswith("_fp16"):  # a float16-weight input is about that size already
        assert ours.stat().st_size < 0.6 * (MODELS / f"{name}.tflite").stat().st_size


def test_fp16_matches_the_converters_fp16_model(tmp_path, cli):
    ours = quantize("cnn_fmnist", tmp_path / "fp16.tflite", "--mode", "fp16")
    converter = MODELS / "cnn_fmnist_fp16.tflite"
    x = golden_inputs("cnn_fmnist")
    for a, b in zip(litert_run(ours, x), litert_run(converter, x)):
        assert max_rel_err(a, b) <= 1e-5
    assert abs(ours.stat().st_size / converter.stat().st_size - 1) <= 0.02
    # The converter's fp16 model, folded back to float and quantized again, is the same model.
    again = quantize("cnn_fmnist_fp16", tmp_path / "again.tflite", "--mode", "fp16")
    for a, b in zip(litert_run(again, x), litert_run(converter, x)):
        assert np.array_equal(a, b)


def test_dynamic_matches_the_converters_dynamic_range_model(tmp_path, cli):
    converter = MODELS / "cnn_fmnist_dynamic.tflite"
    ours = quantize("cnn_fmnist", tmp_path / "dynamic.tflite", "--mode", "dynamic")
    x = golden_inputs("cnn_fmnist")
    for a, b in zip(litert_run(ours, x), litert_run(converter, x)):
        assert max_rel_err(a, b) <= 1e-5
    assert ours.stat().st_size <= 1.02 * converter.stat().st_size


def test_json_report(tmp_path, cli):
    out = tmp_path / "q.tflite"
    proc = run_cli("quantize", MODELS / "cnn_fmnist.tflite", "-o", out, "--mode", "dynamic", "--per-tensor", "--json")
    report = json.loads(proc.stdout)
    assert report["before"]["size_bytes"] == (MODELS / "cnn_fmnist.tflite").stat().st_size
    assert report["after"]["size_bytes"] == out.stat().st_size
    assert report["after"]["constants_by_dtype"]["int8"] == 2
    assert report["before"]["tensors"] == report["after"]["tensors"]
    assert [p["name"] for p in report["recipe"]["passes"]] == ["fold-dequantize", "quantize"]


def test_recipe_file(tmp_path, cli):
    recipe = tmp_path / "recipe.json"
    recipe.write_text(json.dumps({"passes": [{"name": "quantize", "mode": "dynamic", "min_elements": 100}]}))
    out = tmp_path / "q.tflite"
    report = json.loads(run_cli("quantize", MODELS / "cnn_fmnist.tflite", "-o", out, "--recipe", recipe,
                                "--json").stdout)
    assert report["after"]["constants_by_dtype"]["int8"] == 4
    recipe.write_text(json.dumps({"passes": [{"name": "quantize", "mode": "dynamic", "bits": 4}]}))
    proc = run_cli("quantize", MODELS / "cnn_fmnist.tflite", "-o", tmp_path / "bad.tflite", "--recipe", recipe,
                   check=False)
    assert proc.returncode == 2 and "'bits'" in proc.stderr
    assert not (tmp_path / "bad.tflite").exists()


@pytest.mark.parametrize("mode", ["int8", "int16x8"])
def test_integer_modes_refuse_to_run_without_data(mode, tmp_path, cli):
    out = tmp_path / "q.tflite"
    proc = run_cli("quantize", MODELS / "cnn_fmnist.tflite", "-o", out, "--mode", mode, check=False)
    assert proc.returncode == 2
    assert "--representative" in proc.stderr and "--mode dynamic" in proc.stderr
    assert not out.exists()
