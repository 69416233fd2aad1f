"""Interop with the real LiteRT runtime (ai-edge-litert):
- every fixture model, read and written by tfcompress, loads in LiteRT and gives
  bit-identical outputs; a second round trip is byte-identical; inspect agrees;
- our runtime, on each kernel set (ids [reference] and [fast]: `run --kernels`),
  matches LiteRT on the committed golden inputs and on fresh random inputs:
  float outputs within 1e-4 * max(1, |LiteRT|), quantized ones within one step
  on >= 99.9% of elements (models the runtime refuses, conftest.RUNTIME_REFUSES,
  are left out; test_fast_runtime.py checks their refusal);
- bad files get exit code 2, and `check` names the ops a target cannot run.
"""
import json

import numpy as np
import pytest

from conftest import FIXTURES, RUNTIME_REFUSES, assert_outputs_agree, litert_run, output_steps, run_cli

MODELS = sorted(p for p in (FIXTURES / "models").glob("*.tflite"))
RUNNABLE = [m for m in MODELS if (FIXTURES / "golden" / f"{m.stem}.npz").exists() and m.stem not in RUNTIME_REFUSES]
KERNELS = ["reference", "fast"]


def golden_arrays(name, kind):
    """The golden file's inputs (kind "input") or LiteRT's outputs (kind "output"), in order."""
    g = np.load(FIXTURES / "golden" / f"{name}.npz")
    return [g[f"{kind}_{i}"] for i in range(len([k for k in g.files if k.startswith(f"{kind}_")]))]


def golden_inputs(name):
    return golden_arrays(name, "input")


def random_like(inputs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for x in inputs:
        if np.issubdtype(x.dtype, np.floating):
            lo, hi = float(x.min()), float(x.max())
            out.append(rng.uniform(lo, hi if hi > lo else lo + 1, size=x.shape).astype(x.dtype))
        else:
            out.append(x.copy())
    return out


@pytest.mark.parametrize("model", MODELS, ids=lambda p: p.stem)
def test_round_trip_is_lossless(model, tmp_path, cli):
    once = tmp_path / "once.tflite"
    twice = tmp_path / "twice.tflite"
    run_cli("convert", model, "-o", once)
    run_cli("convert", once, "-o", twice)
    assert once.read_bytes() == twice.read_bytes(), "second round trip must be byte-identical"
    a = json.loads(run_cli("inspect", model, "--json").stdout)
    b = json.loads(run_cli("inspect", once, "--json").stdout)
    assert a == b, "inspect must show the same content after a round trip"
    if (FIXTURES / "golden" / f"{model.stem}.npz").exists():
        inputs = golden_inputs(model.stem)
        for x, y in zip(litert_run(model, inputs), litert_run(once, inputs)):
            assert x.dtype == y.dtype and x.shape == y.shape
            assert np.array_equal(x, y, equal_nan=True), "LiteRT outputs must be bit-identical on the written file"


@pytest.mark.parametrize("kernels", KERNELS)
@pytest.mark.parametrize("inputs_from", ["golden", "fresh"])
@pytest.mark.parametrize("model", RUNNABLE, ids=lambda p: p.stem)
def test_runtime_matches_litert(model, inputs_from, kernels, tmp_path, cli):
    inputs = golden_inputs(model.stem)
    if inputs_from == "fresh":
        inputs = random_like(inputs, seed=7)
    x = tmp_path / "x.npz"
    np.savez(x, **{f"input_{i}": a for i, a in enumerate(inputs)})
    y = tmp_path / "y.npz"
    proc = run_cli("run", model, "--input", x, "--output", y, "--kernels", kernels, check=False)
    assert proc.returncode == 0, proc.stderr
    ours = np.load(y)
    ours = [ours[k] for k in ours.files]
    ref = golden_arrays(model.stem, "output") if inputs_from == "golden" else litert_run(model, inputs)
    # Float outputs within 1e-4 relative; quantized ones within one step.
    assert_outputs_agree(ours, ref, output_steps(model), model.stem)


@pytest.mark.parametrize("kernels", KERNELS)
def test_cnn_top1_matches_litert_on_real_images(kernels, cli, tmp_path):
    """Our runtime classifies the real Fashion-MNIST golden images like LiteRT."""
    inputs = golden_inputs("cnn_fmnist")
    x = tmp_path / "x.npz"
    np.savez(x, input_0=inputs[0])
    y = tmp_path / "y.npz"
    run_cli("run", FIXTURES / "models" / "cnn_fmnist.tflite", "--input", x, "--output", y, "--kernels", kernels)
    ours = np.load(y)
    ours = ours[ours.files[0]]
    ref = litert_run(FIXTURES / "models" / "cnn_fmnist.tflite", inputs)[0]
    assert np.array_equal(ours.argmax(-1), ref.argmax(-1))


@pytest.mark.parametrize("blob", [b"", b"TFL3", b"\x00" * 64, b"garbage" * 100])
def test_bad_files_exit_2(blob, tmp_path, cli):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(blob)
    for args in (["inspect", bad], ["run", bad, "--input", bad], ["convert", bad, "-o", tmp_path / "o.tflite"],
                 ["check", bad]):
        proc = run_cli(*args, check=False)
        assert proc.returncode == 2, (args, proc.returncode, proc.stderr)
        assert "error:" in proc.stderr
    assert not (tmp_path / "o.tflite").exists(), "no half-written output"


def test_truncated_model_exit_2(tmp_path, cli):
    data = (FIXTURES / "models" / "cnn_fmnist.tflite").read_bytes()
    for cut in (10, len(data) // 2, len(data) - 3):
        bad = tmp_path / "cut.tflite"
        bad.write_bytes(data[:cut])
        proc = run_cli("inspect", bad, check=False)
        assert proc.returncode == 2, (cut, proc.stderr)


def test_missing_file_and_bad_flags_exit_2(tmp_path, cli):
    assert run_cli("inspect", tmp_path / "nope.tflite", check=False).returncode == 2
    assert run_cli("check", FIXTURES / "models" / "cnn_fmnist.tflite", "--target", "gpu", check=False).returncode == 2
    assert run_cli("frobnicate", check=False).returncode == 2


def test_check_names_custom_ops(cli):
    custom = FIXTURES / "models" / "custom_op.tflite"
    proc = run_cli("check", custom, "--target", "litert", "--json", check=False)
    assert proc.returncode == 1
    report = json.loads(proc.stdout)
    assert not report["compatible"]
    assert report["unsupported_ops"], report


def test_check_targets_on_float_cnn(cli):
    model = FIXTURES / "models" / "cnn_fmnist.tflite"
    assert run_cli("check", model, "--target", "litert").returncode == 0
    proc = run_cli("check", model, "--target", "int8-only", "--json", check=False)
    assert proc.returncode == 1
    assert any("float32" in p["reason"] for p in json.loads(proc.stdout)["problems"])


def test_run_rejects_wrong_input_shape(tmp_path, cli):
    x = tmp_path / "x.npy"
    np.save(x, np.zeros((1, 5, 5), np.float32))
    proc = run_cli("run", FIXTURES / "models" / "cnn_fmnist.tflite", "--input", x, check=False)
    assert proc.returncode == 2
    assert "expects shape" in proc.stderr
