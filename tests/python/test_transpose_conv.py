"""TRANSPOSE_CONV in every mode against LiteRT.

Small Keras models of Conv2DTranspose layers (strides 1 to 3, SAME and VALID,
odd sizes, with and without bias, fused relu) converted at test time in
float32, dynamic range (hybrid: float activations, int8 weights), int8 and
int16x8, run by `tfcompress run` and by LiteRT's builtin kernels
(BUILTIN_WITHOUT_DEFAULT_DELEGATES) and default resolver. Float and hybrid
outputs within 1e-4 relative of the builtin kernels'; integer outputs within
one quantization step. The production-suite segmentation net's dynamic-range
file (three hybrid TRANSPOSE_CONV) is checked the same way when it is built,
within twice the gap measured between LiteRT's own two paths where that is
above 1e-4. LiteRT's hybrid TRANSPOSE_CONV sums in float (hybrid_ref.h); our
reference matched it bit for bit on single layers of batch 1 and within
3e-7 absolute on later batches of a batch (LiteRT rounds those differently).
"""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from conftest import ROOT, max_rel_err  # noqa: E402
from test_int_conv_ops import convert, input_for, litert, op_names, ours, step_stats  # noqa: E402

BATCH = 2


def model_tconv(channels):
    """Three Conv2DTranspose: stride 2 SAME relu, stride 3 VALID no bias,
    stride 1 SAME; odd spatial sizes."""
    tf.keras.utils.set_random_seed(3)
    L = tf.keras.layers
    inp = L.Input((5, 7, channels), batch_size=BATCH)
    x = L.Conv2DTranspose(channels, 3, strides=2, padding="same", activation="relu")(inp)
    x = L.Conv2DTranspose(channels, 2, strides=3, padding="valid", use_bias=False)(x)
    out = L.Conv2DTranspose(channels + 3, 3, strides=1, padding="same")(x)
    return tf.keras.Model(inp, out)


def float_model(tmp_path):
    model = model_tconv(5)
    path = tmp_path / "tconv_float.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    return path, model


def test_float_transpose_conv_matches_litert(tmp_path, cli):
    path, model = float_model(tmp_path)
    x = input_for(path, [None] + list(model.inputs[0].shape[1:]), np.random.default_rng(4))
    got = ours(path, x, tmp_path)
    err = max_rel_err(got, litert(path, x, builtin_only=True))
    err_default = max_rel_err(got, litert(path, x, builtin_only=False))
    print(f"\ntconv float: builtin max_rel_err={err:.2e}; default resolver {err_default:.2e}")
    assert err <= 1e-4


def test_dynamic_range_transpose_conv_matches_litert(tmp_path, cli):
    model = model_tconv(16)  # >= 1024 weights per layer: the converter quantizes them
    path = convert(model, "dynamic", tmp_path, "tconv")
    assert "TRANSPOSE_CONV" in op_names(path)
    x = input_for(path, [None] + list(model.inputs[0].shape[1:]), np.random.default_rng(5))
    got = ours(path, x, tmp_path)
    ref = litert(path, x, builtin_only=True)
    err = max_rel_err(got, ref)
    print(f"\ntconv dynamic: builtin max_rel_err={err:.2e} exact={np.mean(got == ref):.4f}")
    assert err <= 1e-4


@pytest.mark.parametrize("mode", ["int8", "int16"])
def test_integer_transpose_conv_matches_litert(mode, tmp_path, cli):
    model = model_tconv(6)
    path = convert(model, mode, tmp_path, "tconv")
    x = input_for(path, [None] + list(model.inputs[0].shape[1:]), np.random.default_rng(6))
    got = ours(path, x, tmp_path, "reference")
    exact, worst = step_stats(got, litert(path, x, builtin_only=True))
    dflt = step_stats(ours(path, x, tmp_path, "litert"), litert(path, x, builtin_only=False))
    print(f"\ntconv {mode}: builtin exact={exact:.4f} max_step={worst}; "
          f"litert arithmetic vs default resolver exact={dflt[0]:.4f} max_step={dflt[1]}")
    assert worst <= 1 and exact >= 0.999
    assert dflt[1] <= 1 and dflt[0] >= 0.999


def test_segmentation_dynamic_matches_litert(tmp_path, cli):
    path = ROOT / ".data" / "runtime" / "production" / "segmentation_dynamic.tflite"
    if not path.exists():
        pytest.skip("production graphs not built (fixtures/make_production_graphs.py)")
    npz = np.load(path.with_suffix(".npz"))
    x = npz[npz.files[0]]
    got = ours(path, x, tmp_path)
    builtin = litert(path, x, builtin_only=True)
    err = max_rel_err(got, builtin)
    # The tolerance rule's looser bound: LiteRT's two paths disagree here
    # (1.8e-4 measured; its hybrid CONV_2D layers differ), ours within twice that.
    gap = max_rel_err(litert(path, x, builtin_only=False), builtin)
    print(f"\nsegmentation_dynamic: builtin max_rel_err={err:.2e}; LiteRT default vs builtin {gap:.2e}")
    assert err <= max(1e-4, 2 * gap)
