"""Integer (int8, int16x8) and hybrid conv-family kernels against LiteRT.

Small Keras models (Conv2D, DepthwiseConv2D, Dense, pools; with and without
bias, fused relu / relu6, strides, SAME / VALID, dilation, batch > 1) are
converted at test time with tf.lite.TFLiteConverter:
- full int8 with int8 input and output (no QUANTIZE / DEQUANTIZE ops),
- int16x8 with int16 input and output,
- dynamic range (hybrid ops: float activations, int8 weights),
and run by LiteRT (BUILTIN_WITHOUT_DEFAULT_DELEGATES, i.e. its builtin
kernels, and the default resolver with XNNPACK for the record) and by
`tfcompress run` on the same inputs. Acceptance: integer outputs at most one
quantization step from LiteRT's builtin kernels' anywhere; hybrid outputs
within 1e-4 relative. The exact-match fraction is asserted loosely (>= 0.75
on the final output): our kernels follow LiteRT's reference integer formula,
and LiteRT's optimized x86 int8 conv was seen to deviate from it in single
elements (a dilated conv: acc * M = -78.502, reference -79, LiteRT -78),
which then spreads through the following layers. Single-layer int16 and
int8 checks matched LiteRT exactly. The measured figures are printed (run
with -s to see them).

LiteRT's default resolver hands int8 CONV_2D / DEPTHWISE_CONV_2D /
FULLY_CONNECTED to XNNPACK, which rescales in float (float scale, round half
to even). Our runtime does the same with --arithmetic litert (the default;
the XNNPACK-compatible mode of kernels/quant_util.h); the
*_float_requantization tests run in that mode against the default resolver,
and the reference-mode tests pass --arithmetic reference.
"""
import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from conftest import BEYOND_ONE_STEP, FIXTURES, FMNIST_DIR, max_rel_err, measured_min_fraction, read_idx, run_cli  # noqa: E402

BATCH = 2


def _layers():
    tf.keras.utils.set_random_seed(0)
    return tf.keras.layers


def model_convs(hybrid=False):
    """Conv (SAME, relu, stride 1), depthwise (VALID, relu6, multiplier 2),
    average pool, conv (VALID, dilation 2, no bias), max pool (SAME), dense."""
    L = _layers()
    ch = 16 if hybrid else 4
    inp = L.Input((12, 12, 3) if not hybrid else (10, 10, 16), batch_size=BATCH)
    x = L.Conv2D(ch, 3, padding="same", activation="relu")(inp)
    x = L.DepthwiseConv2D(3, depth_multiplier=8 if hybrid else 2, padding="valid", activation="relu6")(x)
    x = L.AveragePooling2D(2)(x)
    x = L.Conv2D(ch, 2, dilation_rate=2, padding="valid", use_bias=False)(x)
    x = L.MaxPooling2D(2, strides=2, padding="same")(x)
    x = L.Flatten()(x)
    x = L.Dense(64 if hybrid else 8, activation="relu")(x)
    out = L.Dense(16)(x)
    return tf.keras.Model(inp, out)


def model_strided():
    """Conv with stride 2 and relu6, depthwise stride 2 SAME, max pool VALID."""
    L = _layers()
    inp = L.Input((9, 9, 2), batch_size=BATCH)
    x = L.Conv2D(6, 3, strides=2, padding="same", activation="relu6")(inp)
    x = L.DepthwiseConv2D(3, strides=2, padding="same", use_bias=False)(x)
    x = L.MaxPooling2D(2, padding="valid")(x)
    x = L.Flatten()(x)
    out = L.Dense(4, use_bias=False)(x)
    return tf.keras.Model(inp, out)


def model_dense_hybrid():
    """Dense layers with >= 1024 weights (quantized by dynamic range)."""
    L = _layers()
    inp = L.Input((48,), batch_size=BATCH)
    x = L.Dense(32, activation="relu")(inp)
    x = L.Dense(40, activation="relu6")(x)
    out = L.Dense(32, use_bias=False)(x)
    return tf.keras.Model(inp, out)


def _converter(model):
    shape = list(model.inputs[0].shape)
    return tf.lite.TFLiteConverter.from_keras_model(model), shape


def convert(model, mode, tmp_path, name):
    """Converts `model` (its batch fixed at BATCH) in `mode`: int8, int16 or dynamic."""
    conv, shape = _converter(model)
    rng = np.random.default_rng(0)
    if mode in ("int8", "int16"):
        def rep():
            for _ in range(50):
                yield [rng.uniform(-1, 1, shape).astype(np.float32)]
        conv.representative_dataset = rep
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
        if mode == "int8":
            conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            conv.inference_input_type = conv.inference_output_type = tf.int8
        else:
            conv.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
            conv.inference_input_type = conv.inference_output_type = tf.int16
    else:
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    path = tmp_path / f"{name}_{mode}.tflite"
    path.write_bytes(conv.convert())
    return path


def litert(path, x, builtin_only):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    kw = {"experimental_op_resolver_type": OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES} if builtin_only else {}
    interp = Interpreter(model_path=str(path), **kw)
    d = interp.get_input_details()[0]
    interp.resize_tensor_input(d["index"], x.shape)
    interp.allocate_tensors()
    interp.set_tensor(d["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


def ours(path, x, tmp_path, arithmetic="litert"):
    xi, yo = tmp_path / "x.npz", tmp_path / "y.npz"
    np.savez(xi, input_0=x)
    run_cli("run", path, "--input", xi, "--output", yo, "--arithmetic", arithmetic)
    y = np.load(yo)
    return y[y.files[0]]


def op_names(path):
    from ai_edge_litert.interpreter import Interpreter

    return {o["op_name"] for o in Interpreter(model_path=str(path))._get_ops_details()}


def input_for(path, shape, rng):
    from ai_edge_litert.interpreter import Interpreter

    d = Interpreter(model_path=str(path)).get_input_details()[0]
    x = rng.uniform(-1, 1, [BATCH] + list(shape[1:])).astype(np.float32)
    if d["dtype"] == np.float32:
        return x
    scale, zp = d["quantization"]
    info = np.iinfo(d["dtype"])
    return np.clip(np.round(x / scale) + zp, info.min, info.max).astype(d["dtype"])


def step_stats(a, b):
    diff = np.abs(a.astype(np.int64) - b.astype(np.int64))
    return float(np.mean(diff == 0)), int(diff.max()) if diff.size else 0


MODELS = {"convs": model_convs, "strided": model_strided}


@pytest.mark.parametrize("mode", ["int8", "int16"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_integer_models_match_litert(name, mode, tmp_path, cli):
    path = convert(MODELS[name](), mode, tmp_path, name)
    ops = op_names(path)
    assert not ops & {"QUANTIZE", "DEQUANTIZE"}, ops
    x = input_for(path, [None] + list(MODELS[name]().inputs[0].shape[1:]), np.random.default_rng(1))
    got = ours(path, x, tmp_path, "reference")
    ref = litert(path, x, builtin_only=True)
    assert got.dtype == ref.dtype and got.shape == ref.shape
    exact, worst = step_stats(got, ref)
    dflt = step_stats(got, litert(path, x, builtin_only=False))
    print(f"\n{name} {mode} ops={sorted(ops)}: builtin exact={exact:.4f} max_step={worst}; "
          f"default resolver exact={dflt[0]:.4f} max_step={dflt[1]}")
    assert worst <= 1 and exact >= 0.75


HYBRID = {"convs": lambda: model_convs(hybrid=True), "dense": model_dense_hybrid}


@pytest.mark.parametrize("name", sorted(HYBRID))
def test_dynamic_range_models_match_litert(name, tmp_path, cli):
    model = HYBRID[name]()
    path = convert(model, "dynamic", tmp_path, name)
    x = input_for(path, [None] + list(model.inputs[0].shape[1:]), np.random.default_rng(2))
    got = ours(path, x, tmp_path)
    ref = litert(path, x, builtin_only=True)
    err = max_rel_err(got, ref)
    err_default = max_rel_err(got, litert(path, x, builtin_only=False))
    print(f"\n{name} dynamic ops={sorted(op_names(path))}: builtin max_rel_err={err:.2e}; "
          f"default resolver max_rel_err={err_default:.2e}")
    assert err <= 1e-4


def test_converter_dynamic_fixture_matches_litert(tmp_path, cli):
    path = FIXTURES / "models" / "cnn_fmnist_dynamic.tflite"
    x = np.load(FIXTURES / "golden" / "cnn_fmnist.npz")["input_0"]
    got = ours(path, x, tmp_path)
    ref = litert(path, x, builtin_only=True)
    err = max_rel_err(got, ref)
    print(f"\ncnn_fmnist_dynamic: builtin max_rel_err={err:.2e}; "
          f"default resolver max_rel_err={max_rel_err(got, litert(path, x, builtin_only=False)):.2e}")
    assert err <= 1e-4


@pytest.mark.parametrize("flags", [[], ["--per-tensor"]])
def test_our_dynamic_range_output_matches_litert(flags, tmp_path, cli):
    """`tfcompress quantize --mode dynamic` (per-channel, or per-tensor FC
    weights) on cnn_fmnist, run by us and by LiteRT's builtin kernels."""
    path = tmp_path / "dyn.tflite"
    run_cli("quantize", FIXTURES / "models" / "cnn_fmnist.tflite", "-o", path, "--mode", "dynamic", *flags)
    x = np.load(FIXTURES / "golden" / "cnn_fmnist.npz")["input_0"]
    got = ours(path, x, tmp_path)
    err = max_rel_err(got, litert(path, x, builtin_only=True))
    print(f"\ncnn_fmnist ours dynamic {flags}: builtin max_rel_err={err:.2e}")
    assert err <= 1e-4


# ---- XNNPACK-compatible (float) requantization against the default resolver ----


@pytest.mark.parametrize("name", sorted(MODELS))
def test_int8_models_float_requantization_match_default_litert(name, tmp_path, cli):
    """Single-op-family int8 models: in float mode our conv / depthwise / FC
    rescale as XNNPACK does, so we should agree with the default resolver
    exactly but for ops XNNPACK rescales in yet another way."""
    path = convert(MODELS[name](), "int8", tmp_path, name)
    x = input_for(path, [None] + list(MODELS[name]().inputs[0].shape[1:]), np.random.default_rng(1))
    dflt = litert(path, x, builtin_only=False)
    got = ours(path, x, tmp_path, "litert")
    exact, worst = step_stats(got, dflt)
    ref_exact, ref_worst = step_stats(got, litert(path, x, builtin_only=True))
    print(f"\n{name} int8 float mode: default resolver exact={exact:.4f} max_step={worst}; "
          f"builtin exact={ref_exact:.4f} max_step={ref_worst}")
    # Measured: both models equal the default resolver everywhere (convs
    # includes an int8 AVERAGE_POOL_2D, which needs no change).
    assert worst <= 1 and exact >= 0.99
    assert ref_worst <= 1


FMNIST = FMNIST_DIR


def fmnist_images(n):
    f = FMNIST / "t10k-images-idx3-ubyte.gz"
    if not f.exists():
        pytest.skip(f"no Fashion-MNIST test images at {f}")
    return read_idx(f)[:n, ..., None]


CONVERTER_INT8_FIXTURES = ["cnn_fmnist_int8.tflite", "mobilenet_fmnist_int8io.tflite"]


@pytest.mark.parametrize("model", CONVERTER_INT8_FIXTURES)
def test_converter_int8_fixtures_float_requantization_vs_default_litert(model, tmp_path, cli):
    """Converter-made int8 models on 100 Fashion-MNIST images: the final
    output of our float mode against the default resolver (XNNPACK), in output
    steps, by the base rule (>= 99.9% within one step); measured: both equal it
    exactly. Against the builtin kernels, float mode can only be as close as
    LiteRT's own two paths are to each other, which this test measures on the
    same images: ours may be further than one step on the base 0.1% plus twice
    the fraction where LiteRT's default path and its builtin kernels are
    (measured: cnn 0.2% -> 99.5% required, ours 99.8%; mobilenet 4.1% -> 91.7%,
    and the 93% asserted before is kept; ours 95.9%). The 1/256-step softmax
    output turns a one-step logit difference into several."""
    path = FIXTURES / "models" / model
    from conftest import output_steps
    from ai_edge_litert.interpreter import Interpreter

    u8 = fmnist_images(100)
    d = Interpreter(model_path=str(path)).get_input_details()[0]
    x = (u8.astype(np.int16) - 128).astype(np.int8) if d["dtype"] == np.int8 else u8.astype(np.float32) / 255.0
    step = output_steps(path)[0]
    dflt = litert(path, x, builtin_only=False)
    ref = litert(path, x, builtin_only=True)
    # Where LiteRT disagrees with itself: its two paths more than one step apart.
    litert_beyond = float(np.mean(np.abs(np.rint((dflt.astype(np.float64) - ref.astype(np.float64)) / step)) > 1))
    least = measured_min_fraction(litert_beyond)
    figures = {}
    for mode, arithmetic in (("fixed", "reference"), ("float", "litert")):
        got = ours(path, x, tmp_path, arithmetic).reshape(dflt.shape)
        steps = np.abs(np.rint((got.astype(np.float64) - dflt.astype(np.float64)) / step))
        ref_steps = np.abs(np.rint((got.astype(np.float64) - ref.astype(np.float64)) / step))
        figures[mode] = (float(np.mean(steps == 0)), float(np.mean(steps <= 1)), float(np.mean(ref_steps <= 1)))
    print(f"\n{model}: (exact, <=1 step) vs default resolver, <=1 step vs builtin: {figures}; LiteRT default vs "
          f"builtin beyond one step on {litert_beyond:.4f}, so ours must be within one step of builtin on {least:.4f}")
    assert figures["float"][1] >= 1.0 - BEYOND_ONE_STEP
    assert figures["float"][1] >= figures["fixed"][1]
    assert figures["float"][2] >= max(0.93, least)
