"""float32 unary ops of `tfcompress run --kernels fast` against LiteRT (its
default CPU path): HARD_SWISH, LEAKY_RELU, RELU_N1_TO_1, ABS, NEG, SQUARE,
SQRT, RSQRT (our own kernels, bit-exact with the reference), LOGISTIC, TANH,
ELU, EXP, LOG (oneDNN's eltwise).

A small tf.function model, converted with tf.lite.TFLiteConverter (float32, no
optimizations), applies each op to one input over the range where the
function varies. The outputs must agree within 1e-4 relative, and `--profile`
must show each op on the kernel named above.
"""
import numpy as np
import pytest

from conftest import litert_run, max_rel_err, run_cli

tf = pytest.importorskip("tensorflow")

SHAPE = (2, 9, 11, 13)
OWN = ("HARD_SWISH", "LEAKY_RELU", "RELU_N1_TO_1", "ABS", "NEG", "SQUARE", "SQRT", "RSQRT")
ONEDNN = ("LOGISTIC", "TANH", "ELU", "EXP", "LOG")


def _ops(x):
    pos = tf.abs(x) + 0.05
    return [
        x * tf.nn.relu6(x + 3.0) / 6.0,
        tf.nn.leaky_relu(x, 0.2),
        tf.clip_by_value(x, -1.0, 1.0),
        -x,
        tf.square(x),
        tf.sqrt(pos),
        tf.math.rsqrt(pos),
        tf.sigmoid(x),
        tf.tanh(x),
        tf.nn.elu(x),
        tf.exp(x),
        tf.math.log(pos),
    ]


def test_unary_ops_match_litert(tmp_path):
    concrete = tf.function(_ops, input_signature=[tf.TensorSpec(SHAPE, tf.float32)]).get_concrete_function()
    model = tmp_path / "unary.tflite"
    model.write_bytes(tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert())
    rng = np.random.default_rng(20261208)
    inputs = [rng.uniform(-8, 8, SHAPE).astype(np.float32)]
    x = tmp_path / "x.npz"
    np.savez(x, input_0=inputs[0])
    y = tmp_path / "y.npz"
    proc = run_cli("run", model, "--input", x, "--output", y, "--kernels", "fast", "--threads", "2", "--profile",
                   "--slowest", "0")
    out = np.load(y)
    ours = [out[k] for k in out.files]
    ref = litert_run(model, inputs)
    assert len(ours) == len(ref)
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert a.shape == b.shape, i
        assert max_rel_err(a, b) <= 1e-4, f"output {i}: {max_rel_err(a, b)}"
    rows = [line.split()[:2] for line in proc.stdout.splitlines()]
    for op in OWN:
        assert [op, "own"] in rows, (op, proc.stdout)
    for op in ONEDNN:
        assert [op, "onednn"] in rows, (op, proc.stdout)
