"""Shared fixtures for the interop tests: paths, the built CLI, LiteRT helpers."""
import gzip
import os
import subprocess
from pathlib import Path

# Tests that build or load Keras models use tf-keras (Keras 2), in which the
# comparison models under fixtures/ptq were saved; it must be chosen before
# TensorFlow is first imported by any test module.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CLI = Path(os.environ.get("TFC_CLI", ROOT / "build" / "tfcompress"))
# The Fashion-MNIST IDX files (Debian's dataset-fashion-mnist by default).
FMNIST_DIR = Path(os.environ.get("TFC_FMNIST_DIR", "/usr/share/datasets/fashion-mnist"))


def read_idx(path):
    """A gzip-compressed IDX file of unsigned bytes (the Fashion-MNIST files) as an array."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


# Fixture models neither kernel set runs, and the op each error must name
# (test_fast_runtime.py checks the refusals; the other tests leave them out).
RUNTIME_REFUSES = {"custom_op": "unsupported op Erfc", "while_loop": "unsupported op WHILE"}


def run_cli(*args, check=True):
    """Runs tfcompress; returns the CompletedProcess."""
    proc = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"tfcompress {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def litert_run(model_path, inputs):
    """Runs LiteRT on positional inputs; returns outputs in order. Its default
    CPU path (the XNNPACK delegate where it takes an op)."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(model_path))
    details = interp.get_input_details()
    for d, x in zip(details, inputs):
        if list(d["shape"]) != list(x.shape):
            interp.resize_tensor_input(d["index"], x.shape)
    interp.allocate_tensors()
    for d, x in zip(interp.get_input_details(), inputs):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def max_rel_err(ours, ref):
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    return float(np.max(np.abs(ours - ref) / np.maximum(1.0, np.abs(ref)))) if ref.size else 0.0


@pytest.fixture(scope="session")
def cli():
    assert CLI.exists(), f"{CLI} not built; run scripts/build.sh"
    return CLI


def output_steps(model_path):
    """One quantization step per model output, for comparing runtimes on
    quantized models: 1 for an integer output (compared in integer units), the
    input scale of the DEQUANTIZE that produces a float output, None for other
    float outputs (compared with the relative rule)."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(model_path))
    tensors = {d["index"]: d for d in interp.get_tensor_details()}
    producer = {}
    for op in interp._get_ops_details():
        for o in op["outputs"]:
            producer[int(o)] = op
    steps = []
    for d in interp.get_output_details():
        if np.issubdtype(d["dtype"], np.integer) and d["quantization_parameters"]["scales"].size:
            steps.append(1.0)
            continue
        op = producer.get(int(d["index"]))
        if op is not None and op["op_name"] == "DEQUANTIZE":
            q = tensors[int(op["inputs"][0])]["quantization_parameters"]["scales"]
            steps.append(float(q[0]) if q.size == 1 else None)
        else:
            steps.append(None)
    return steps


def step_agreement(ours, ref, step):
    """(fraction of elements within one step, max difference in steps)."""
    d = np.abs(np.asarray(ours, np.float64) - np.asarray(ref, np.float64)) / step
    if d.size == 0:
        return 1.0, 0.0
    return float(np.mean(d <= 1.0 + 1e-3)), float(d.max())


# The base rule for quantized outputs: at most this fraction of the elements
# more than one step from LiteRT.
BEYOND_ONE_STEP = 0.001


def measured_min_fraction(disagreement):
    """The least fraction within one step of LiteRT that the rule allows where
    LiteRT disagrees with itself on `disagreement` of the elements: the base
    allowance plus twice that disagreement may be further."""
    return 1.0 - (BEYOND_ONE_STEP + 2.0 * disagreement)


def assert_outputs_agree(ours, ref, steps, what="", min_fraction=1.0 - BEYOND_ONE_STEP):
    """Quantized outputs within one step on >= min_fraction (99.9%) of elements;
    others within 1e-4 relative. Checks every
    output before failing, naming each that misses. Returns the per-output
    figures."""
    figures, misses = [], []
    assert len(ours) == len(ref), what
    for i, (o, r, s) in enumerate(zip(ours, ref, steps)):
        assert o.shape == r.shape and o.dtype == r.dtype, f"{what} output {i}: {o.shape} {o.dtype} vs {r.shape} {r.dtype}"
        if s is None:
            err = max_rel_err(o, r)
            figures.append({"output": i, "max_rel_err": err})
            if err > 1e-4:
                misses.append(f"{what} output {i}: max relative error {err}")
        else:
            frac, worst = step_agreement(o, r, s)
            exact = float(np.mean(np.asarray(o) == np.asarray(r)))
            figures.append({"output": i, "within_1_step": frac, "max_steps": worst, "exact": exact})
            if frac < min_fraction:
                misses.append(f"{what} output {i}: {frac:.4%} within 1 step (max {worst:.1f} steps); "
                              f"required {min_fraction:.4%}")
    assert not misses, "\n".join(misses)
    return figures


def run_ours(model_path, inputs, tmp_path, tag="ours"):
    """Runs `tfcompress run` on positional inputs; returns the outputs in order."""
    x = tmp_path / f"{tag}_x.npz"
    np.savez(x, **{f"input_{i}": a for i, a in enumerate(inputs)})
    y = tmp_path / f"{tag}_y.npz"
    run_cli("run", model_path, "--input", x, "--output", y)
    out = np.load(y)
    return [out[k] for k in out.files]
