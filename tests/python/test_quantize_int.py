"""Full-integer quantization (`tfcompress quantize --mode int8|int16x8`) against
the real LiteRT runtime:
- every Fashion-MNIST fixture (MLP, CNN, CNN with float16 weights, MobileNet-
  style) quantized from 200 real training images loads in LiteRT; LiteRT's
  outputs and our runtime's agree within one quantization step on >= 99.9% of
  elements; top-1 agrees with the float model on >= 97% of 300 test images;
- integer and uint8 model inputs/outputs, --keep-float, saved statistics,
  the representative-vs-validation check (an error stops the job unless
  --accept-data-mismatch), bias correction and the per-layer
  `debug` report;
- production-style float16-weight vision fixtures (face detector, landmark
  net) quantize to int8 and int16x8, load in LiteRT, and their agreement with
  the float model (SNR, max error) is printed.
"""
import json

import numpy as np
import pytest

from conftest import FIXTURES, FMNIST_DIR, assert_outputs_agree, litert_run, output_steps, read_idx, run_cli, run_ours

MODELS = FIXTURES / "models"
FMNIST = ["mlp_fmnist", "cnn_fmnist", "cnn_fmnist_fp16", "mobilenet_fmnist"]


_CACHE = {}


def fmnist(split):
    if split not in _CACHE:
        prefix = "train" if split == "train" else "t10k"
        x = read_idx(f"{FMNIST_DIR}/{prefix}-images-idx3-ubyte.gz").astype(np.float32) / 255.0
        y = read_idx(f"{FMNIST_DIR}/{prefix}-labels-idx1-ubyte.gz").astype(np.int64)
        _CACHE[split] = (x[..., None], y)
    return _CACHE[split]


@pytest.fixture(scope="module")
def rep(tmp_path_factory):
    """200 training images (a fixed random subset) as the representative set."""
    x, _ = fmnist("train")
    idx = np.random.default_rng(0).choice(len(x), 200, replace=False)
    path = tmp_path_factory.mktemp("data") / "rep.npz"
    np.savez(path, x=x[idx])
    return path


@pytest.fixture(scope="module")
def test_images():
    x, y = fmnist("test")
    return x[:300], y[:300]


def model_input(name, x):
    """Fashion-MNIST images shaped for the fixture's input ([N,28,28] for the MLP)."""
    return x[..., 0] if name.startswith("mlp") else x


def quantize(name, out, *flags, check=True):
    return run_cli("quantize", MODELS / f"{name}.tflite", "-o", out, *flags, check=check)


def litert_batched(model, x, chunk=100):
    outs = [litert_run(model, [x[i:i + chunk]])[0] for i in range(0, len(x), chunk)]
    return np.concatenate(outs)


@pytest.mark.parametrize("mode", ["int8", "int16x8"])
@pytest.mark.parametrize("name", FMNIST)
def test_fmnist_models_quantize_run_in_litert_and_agree_with_our_runtime(name, mode, rep, test_images, tmp_path, cli):
    out = tmp_path / f"{name}_{mode}.tflite"
    report = json.loads(quantize(name, out, "--mode", mode, "--representative", rep, "--json").stdout)
    assert report["calibration"]["samples"] == 200
    assert report["quantized_ops"] > 0
    x, y = test_images
    xin = model_input(name, x)
    float_out = litert_batched(MODELS / f"{name}.tflite", xin)
    q_litert = litert_batched(out, xin)
    agree = float(np.mean(q_litert.argmax(-1) == float_out.argmax(-1)))
    print(f"\n{name} {mode}: top-1 agreement with float {agree:.4f}, accuracy float "
          f"{np.mean(float_out.argmax(-1) == y):.4f} quantized {np.mean(q_litert.argmax(-1) == y):.4f}, "
          f"size {report['before']['size_bytes']} -> {report['after']['size_bytes']}")
    assert agree >= 0.97
    # Our runtime against LiteRT on the same quantized file.
    ours = run_ours(out, [xin[:64]], tmp_path)
    figures = assert_outputs_agree(ours, [q_litert[:64]], output_steps(out), f"{name} {mode}")
    print(f"{name} {mode}: ours vs LiteRT {figures}")


@pytest.mark.parametrize("io", ["int8", "uint8"])
def test_integer_io(io, rep, test_images, tmp_path, cli):
    out = tmp_path / f"cnn_{io}.tflite"
    quantize("cnn_fmnist", out, "--mode", "int8", "--representative", rep, "--io", io)
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(out))
    d_in, d_out = it.get_input_details()[0], it.get_output_details()[0]
    assert d_in["dtype"] == np.dtype(io) and d_out["dtype"] == np.dtype(io)
    s, zp = d_in["quantization"]
    x, y = test_images
    xq = np.clip(np.round(x / s) + zp, np.iinfo(io).min, np.iinfo(io).max).astype(io)
    q = litert_batched(out, xq)
    float_out = litert_batched(MODELS / "cnn_fmnist.tflite", x)
    assert np.mean(q.argmax(-1) == float_out.argmax(-1)) >= 0.97
    ours = run_ours(out, [xq[:32]], tmp_path)
    assert_outputs_agree(ours, [q[:32]], output_steps(out), f"cnn io {io}")


def test_keep_float_and_debug_report(rep, tmp_path, cli):
    out = tmp_path / "keep.tflite"
    report = json.loads(quantize("cnn_fmnist", out, "--mode", "int8", "--representative", rep,
                                 "--keep-float", "SOFTMAX", "--debug", "--samples", "50", "--json").stdout)
    kept = [f for f in report["float_ops"] if f["op"] == "SOFTMAX"]
    assert kept and "kept float" in kept[0]["reason"]
    layers = report["debug"]["layers"]
    snrs = [l["snr_db"] for l in layers if l["snr_db"] != "inf"]
    assert snrs == sorted(snrs), "worst layers first"
    assert any(l["is_output"] for l in layers)
    effect = report["debug"]["keep_float_effect"]
    assert effect["all_integer_outputs"] and effect["with_keep_float_outputs"]
    # The standalone debug command on the same pair.
    dbg = json.loads(run_cli("debug", MODELS / "cnn_fmnist.tflite", out, "--data", rep, "--samples", "20",
                             "--json").stdout)
    assert dbg["samples"] == 20 and len(dbg["layers"]) == len(layers)


def test_saved_statistics_give_the_same_file(rep, tmp_path, cli):
    a, b = tmp_path / "a.tflite", tmp_path / "b.tflite"
    stats = tmp_path / "stats.json"
    quantize("cnn_fmnist", a, "--mode", "int8", "--representative", rep, "--save-stats", stats,
             "--calibration", "percentile")
    quantize("cnn_fmnist", b, "--mode", "int8", "--stats", stats, "--calibration", "percentile")
    assert a.read_bytes() == b.read_bytes()
    # Statistics of another model are refused.
    proc = quantize("mobilenet_fmnist", tmp_path / "c.tflite", "--mode", "int8", "--stats", stats, check=False)
    assert proc.returncode == 2 and not (tmp_path / "c.tflite").exists()


@pytest.mark.parametrize("method", ["moving-average", "entropy", "mse"])
def test_calibration_methods(method, rep, test_images, tmp_path, cli):
    out = tmp_path / f"{method}.tflite"
    quantize("cnn_fmnist", out, "--mode", "int8", "--representative", rep, "--calibration", method)
    x, _ = test_images
    q = litert_batched(out, x)
    f = litert_batched(MODELS / "cnn_fmnist.tflite", x)
    assert np.mean(q.argmax(-1) == f.argmax(-1)) >= 0.95


def test_validation_mismatch_stops_quantization_unless_accepted(rep, test_images, tmp_path, cli):
    x, _ = test_images
    shifted = tmp_path / "shifted.npz"
    np.savez(shifted, x=np.clip(1.0 - x, 0, 1) * 3.0)  # inverted and brighter: not what we calibrated on
    # The representative set checked against itself: nothing to say.
    ok = quantize("cnn_fmnist", tmp_path / "ok.tflite", "--mode", "int8", "--representative", rep,
                  "--validation", rep)
    assert "warning" not in ok.stderr and "error" not in ok.stderr
    assert "matches the validation sample" in ok.stdout
    # A mismatch the check calls an error stops the job: exit 1, nothing written.
    bad_out = tmp_path / "bad.tflite"
    stats = tmp_path / "bad.stats.json"
    bad = quantize("cnn_fmnist", bad_out, "--mode", "int8", "--representative", rep, "--validation", shifted,
                   "--save-stats", stats, "--json", check=False)
    assert bad.returncode == 1, bad.stderr
    assert "error: representative data:" in bad.stderr and "--accept-data-mismatch" in bad.stderr
    assert "nothing was written" in bad.stderr and bad.stdout == ""
    assert not bad_out.exists() and not stats.exists() and not list(tmp_path.glob("bad.*"))
    # With the override the model is written, and the output says so.
    accepted = quantize("cnn_fmnist", bad_out, "--mode", "int8", "--representative", rep, "--validation", shifted,
                        "--json", "--accept-data-mismatch")
    report = json.loads(accepted.stdout)
    severities = {f["severity"] for f in report["data_check"]}
    assert "error" in severities, report["data_check"]
    assert any(f["subject"].startswith("input") for f in report["data_check"] if f["severity"] != "info")
    assert report["data_mismatch_accepted"] is True
    assert "error: representative data:" in accepted.stderr
    assert "--accept-data-mismatch" in accepted.stderr and f"wrote {bad_out}" in accepted.stderr
    assert bad_out.exists()
    # The override needs the check it overrides.
    alone = quantize("cnn_fmnist", tmp_path / "alone.tflite", "--mode", "int8", "--representative", rep,
                     "--accept-data-mismatch", check=False)
    assert alone.returncode == 2 and "--validation" in alone.stderr


def test_bias_correction(rep, test_images, tmp_path, cli):
    out = tmp_path / "bc.tflite"
    report = json.loads(quantize("cnn_fmnist", out, "--mode", "int8", "--representative", rep,
                                 "--bias-correction", "--per-tensor", "--json").stdout)
    assert report["bias_corrected_ops"] >= 2
    x, _ = test_images
    q = litert_batched(out, x)
    f = litert_batched(MODELS / "cnn_fmnist.tflite", x)
    assert np.mean(q.argmax(-1) == f.argmax(-1)) >= 0.95


def test_idx_data_needs_an_input_scale(tmp_path, cli):
    images = f"{FMNIST_DIR}/t10k-images-idx3-ubyte.gz"
    out = tmp_path / "q.tflite"
    proc = quantize("cnn_fmnist", out, "--mode", "int8", "--representative", images, "--samples", "50", check=False)
    assert proc.returncode == 2 and "--input-scale" in proc.stderr and not out.exists()
    quantize("cnn_fmnist", out, "--mode", "int8", "--representative", images, "--samples", "50",
             "--input-scale", str(1 / 255))
    assert out.exists()


def snr_db(ref, test):
    ref = np.asarray(ref, np.float64)
    err = np.asarray(test, np.float64) - ref
    return float(10 * np.log10(np.sum(ref ** 2) / max(np.sum(err ** 2), 1e-30)))


@pytest.mark.parametrize("mode", ["int8", "int16x8"])
@pytest.mark.parametrize("name", ["facedet_fp16", "landmark_fp16"])
def test_production_fp16_models(name, mode, tmp_path, cli):
    """Float16-weight vision models (no labels): quantize from random images in the
    golden inputs' range, load in LiteRT, report agreement with the float model."""
    golden = np.load(FIXTURES / "golden" / f"{name}.npz")["input_0"]
    rng = np.random.default_rng(1)
    lo, hi = float(golden.min()), float(golden.max())
    shape = (64,) + golden.shape[1:]
    rep = tmp_path / "rep.npz"
    np.savez(rep, x=rng.uniform(lo, hi, size=shape).astype(np.float32))
    out = tmp_path / f"{name}_{mode}.tflite"
    quantize(name, out, "--mode", mode, "--representative", rep)
    x = rng.uniform(lo, hi, size=golden.shape).astype(np.float32)
    f = litert_run(MODELS / f"{name}.tflite", [x])
    q = litert_run(out, [x])
    for i, (a, b) in enumerate(zip(f, q)):
        s = snr_db(a, b)
        print(f"\n{name} {mode} output {i}: SNR {s:.1f} dB, max error {np.max(np.abs(a - b)):.4g}")
        assert s > (15 if mode == "int8" else 30)
    ours = run_ours(out, [x], tmp_path)
    steps = output_steps(out)
    figures = assert_outputs_agree(ours, q, steps, f"{name} {mode}")
    print(f"{name} {mode}: ours vs LiteRT {figures}")
