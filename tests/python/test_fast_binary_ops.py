"""float32 broadcasting binary ops (SUB, MUL, DIV, MAXIMUM, MINIMUM,
SQUARED_DIFFERENCE, with fused RELU / RELU6 where the converter fuses them) of
`tfcompress run --kernels fast` against LiteRT (its default CPU path).

A small tf.function model, converted with tf.lite.TFLiteConverter (float32, no
optimizations), applies each op with the broadcasts TFLite graphs have: the
same shape, a squeeze-excite scale [N,1,1,C], a per-channel constant [C], a
scalar, and the first operand broadcast. The outputs must agree within 1e-4
relative, and `--profile` must show MUL, SUB, DIV, MAXIMUM, MINIMUM and
SQUARED_DIFFERENCE on oneDNN.
"""
import numpy as np
import pytest

from conftest import litert_run, max_rel_err, run_cli

tf = pytest.importorskip("tensorflow")

SHAPES = [(2, 5, 7, 12), (2, 1, 1, 12), (2, 5, 7, 12)]  # x, squeeze-excite scale s, y


def _ops(x, s, y):
    c = tf.constant(np.linspace(0.5, 2.0, 12, dtype=np.float32))
    return [
        x * s,                              # squeeze-excite
        tf.nn.relu6(x * c),                 # per channel, fused RELU6
        tf.nn.relu(x - y),                  # same shape, fused RELU
        x - c,                              # per channel
        c - x,                              # first operand broadcast (SUB: the reference runs)
        x / s,                              # squeeze-excite DIV
        x / 3.0,                            # scalar (the converter may write MUL by 1/3)
        tf.maximum(x, c), tf.minimum(s, x),  # second, then first operand broadcast
        tf.math.squared_difference(x, s),
    ]


def test_binary_ops_match_litert(tmp_path):
    sig = [tf.TensorSpec(shape, tf.float32) for shape in SHAPES]
    concrete = tf.function(_ops, input_signature=sig).get_concrete_function()
    model = tmp_path / "binary.tflite"
    model.write_bytes(tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert())
    rng = np.random.default_rng(20261207)
    inputs = [rng.uniform(-2, 2, shape).astype(np.float32) for shape in SHAPES]
    inputs[1] = np.where(inputs[1] < 0, inputs[1] - 0.25, inputs[1] + 0.25)  # no division near 0
    # The converter names the inputs; pass them in order (positional .npz names).
    x = tmp_path / "x.npz"
    np.savez(x, **{f"input_{i}": a for i, a in enumerate(inputs)})
    y = tmp_path / "y.npz"
    proc = run_cli("run", model, "--input", x, "--output", y, "--kernels", "fast", "--threads", "2", "--profile",
                   "--slowest", "0")
    out = np.load(y)
    ours = [out[k] for k in out.files]
    ref = litert_run(model, inputs)
    assert len(ours) == len(ref)
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert a.shape == b.shape, i
        assert max_rel_err(a, b) <= 1e-4, f"output {i}"
    for op in ("MUL", "SUB", "DIV", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE"):
        assert any(line.split()[:2] == [op, "onednn"] for line in proc.stdout.splitlines()), (op, proc.stdout)
