"""Writes the fuzz seed corpora (tests/fuzz/corpus/<harness>/) and the
reconstructed options-union crash input (tests/fuzz/regressions/tflite_reader/).

Seeds are small valid inputs: .npy/.npz from NumPy, IDX files, PNG and JPEG
images from TensorFlow, budgets and
recipes as the docs show them, a report cut from tests/python/data, and the
calibration statistics and registry files that the tfcompress binary writes.

  .venv/bin/python tests/fuzz/make_corpus.py [build/tfcompress]
"""
import gzip
import importlib.util
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile

import flatbuffers
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
REGRESSIONS = os.path.join(ROOT, "tests", "fuzz", "regressions")


def put(harness, name, data):
    os.makedirs(os.path.join(CORPUS, harness), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(CORPUS, harness, name), "wb") as f:
        f.write(data)


def compact(obj):
    return json.dumps(obj, separators=(",", ":"))


def npy(a, version=None):
    b = io.BytesIO()
    np.lib.format.write_array(b, a, version=version)
    return b.getvalue()


def npz(compressed, **arrays):
    b = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(b, **arrays)
    return b.getvalue()


def idx(code, shape, data):
    return bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape) + data


ARRAYS = {
    "f32_2x3": np.arange(6, dtype="<f4").reshape(2, 3),
    "i8_4": np.array([-128, -1, 0, 127], dtype="i1"),
    "u8_2x2x2": np.arange(8, dtype="u1").reshape(2, 2, 2),
    "i16_3": np.array([-300, 0, 300], dtype="<i2"),
    "i32_scalar": np.array(7, dtype="<i4"),
    "i64_2": np.array([1, -2], dtype="<i8"),
    "f16_3": np.array([0.5, -1, 2], dtype="<f2"),
    "f64_2": np.array([1e-3, 2.5], dtype="<f8"),
    "bool_3": np.array([True, False, True]),
    "f32_empty": np.zeros((0, 4), dtype="<f4"),
}


def data_seeds():
    for name, a in ARRAYS.items():
        put("npy", name + ".npy", npy(a))
    put("npy", "f32_2x3_v2.npy", npy(ARRAYS["f32_2x3"], (2, 0)))
    put("npy", "f32_2x3_v3.npy", npy(ARRAYS["f32_2x3"], (3, 0)))
    xy = {"x": ARRAYS["f32_2x3"], "y": np.array([1, 0], dtype="<i8")}
    put("npz", "xy_stored.npz", npz(False, **xy))
    put("npz", "xy_deflated.npz", npz(True, **xy))
    put("npz", "one_unnamed.npz", npz(False, arr_0=ARRAYS["u8_2x2x2"]))
    put("npz", "many_dtypes.npz", npz(True, a=ARRAYS["i8_4"], b=ARRAYS["f16_3"], c=ARRAYS["bool_3"],
                                       d=ARRAYS["i32_scalar"]))
    files = {
        "images_u8_2x3x3.idx": idx(0x08, (2, 3, 3), bytes(range(18))),
        "labels_u8_4.idx": idx(0x08, (4,), bytes([3, 1, 4, 1])),
        "i8_2x2.idx": idx(0x09, (2, 2), bytes([0x80, 0xFF, 0, 0x7F])),
        "i16_3.idx": idx(0x0B, (3,), struct.pack(">3h", -300, 0, 300)),
        "i32_2.idx": idx(0x0C, (2,), struct.pack(">2i", -7, 70000)),
        "f32_2x2.idx": idx(0x0D, (2, 2), struct.pack(">4f", 0.5, -1, 2, 1e-3)),
        "f64_2.idx": idx(0x0E, (2,), struct.pack(">2d", 1.5, -2.25)),
        "scalar_u8.idx": idx(0x08, (), bytes([9])),
    }
    for name, data in files.items():
        put("idx", name, data)
        put("idx", name + ".gz", gzip.compress(data, mtime=0))
        put("idx_gzip", name, data)  # fuzz_idx_gzip compresses its input itself


def json_seeds():
    with open(os.path.join(ROOT, "scripts", "demo_budget.json")) as f:
        put("budget_json", "demo_budget.json", f.read())
    put("budget_json", "gate_help_example.json", compact(
        {"max_latency_p90_ms": 2.0, "max_size_bytes": 200000, "min_accuracy": 0.85, "max_accuracy_drop": 0.01}))
    put("budget_json", "other_keys.json", compact(
        {"max_latency_p50_ms": 1, "max_latency_p99_ms": 3, "max_latency_mean_ms": 1.5, "max_init_ms": 50,
         "max_peak_memory_bytes": 30000000, "max_arena_bytes": 100000, "max_gzip_size_bytes": 90000,
         "min_top_k_accuracy": 0.95, "min_top1_agreement": 0.9, "min_snr_db": -3}))
    put("recipe_json", "fp16.json", compact(
        {"passes": [{"name": "fold-dequantize"}, {"name": "quantize", "mode": "fp16"}]}))
    put("recipe_json", "dynamic.json", compact(
        {"passes": [{"name": "fold-dequantize"},
                    {"name": "quantize", "mode": "dynamic", "per_tensor": True, "min_elements": 4}]}))
    put("recipe_json", "int8_no_data.json", compact(
        {"passes": [{"name": "quantize", "mode": "int8", "method": "percentile", "percentile": 99.9, "io": "int8",
                     "keep_float": ["y"], "max_samples": 10, "input_scale": 1.0, "bias_correction": False}]}))
    put("recipe_json", "int16x8_no_data.json", compact(
        {"passes": [{"name": "quantize", "mode": "int16x8", "method": "entropy"}]}))
    with open(os.path.join(ROOT, "tests", "python", "data", "report_sample.json")) as f:
        report = json.load(f)
    put("report_json", "report_sample.json", compact(report))
    small = dict(report, models=report["models"][:1])
    small.pop("pareto", None)
    for m in [small["baseline"]] + small["models"]:
        if "samples_ms" in m.get("latency", {}):
            m["latency"] = dict(m["latency"], samples_ms=m["latency"]["samples_ms"][:5])
    put("report_json", "one_model.json", compact(small))


def cli_seeds(tfcompress):
    """Statistics and registry files as the tfcompress binary writes them."""
    model = os.path.join(ROOT, "fixtures", "models", "mlp_fmnist.tflite")
    with tempfile.TemporaryDirectory() as tmp:
        rep = os.path.join(tmp, "rep.npz")
        rng = np.random.default_rng(0)
        np.savez(rep, x=rng.random((4, 1, 28, 28), dtype=np.float32))
        stats = os.path.join(tmp, "stats.json")
        subprocess.run([tfcompress, "quantize", model, "--mode", "int8", "--representative", rep,
                        "--save-stats", stats, "-o", os.path.join(tmp, "int8.tflite")],
                       check=True, stdout=subprocess.DEVNULL)
        with open(stats) as f:
            s = json.load(f)
        put("stats_json", "mlp_fmnist_stats.json", compact(dict(s, tensors=s["tensors"][:2])))
        put("stats_json", "mlp_fmnist_stats_one_tensor.json", compact(dict(s, tensors=s["tensors"][-1:])))
        reg = os.path.join(tmp, "registry")
        report = os.path.join(ROOT, "tests", "python", "data", "report_sample.json")
        for args in (["push", model, "--name", "mlp", "--report", report], ["promote", model],
                     ["push", os.path.join(tmp, "int8.tflite"), "--name", "mlp-int8"],
                     ["promote", os.path.join(tmp, "int8.tflite")], ["rollback"]):
            subprocess.run([tfcompress, "registry", args[0], "--registry", reg] + args[1:], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(reg, "production.json")) as f:
            put("registry_json", "production.json", compact(json.load(f)))
        for i, object_id in enumerate(sorted(os.listdir(os.path.join(reg, "objects")))):
            with open(os.path.join(reg, "objects", object_id, "meta.json")) as f:
                put("registry_json", f"meta_{i}.json", compact(json.load(f)))


def options_union_crash():
    """custom_op.tflite with its MUL operator's options union naming
    FakeQuantOptions but holding no table: the reader kept the type and the
    writer dereferenced the missing table (fixed in commit 2b20ec3)."""
    import ai_edge_litert
    path = os.path.join(os.path.dirname(ai_edge_litert.__file__), "schema_py_generated.py")
    spec = importlib.util.spec_from_file_location("schema", path)
    schema = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(schema)
    with open(os.path.join(ROOT, "fixtures", "models", "custom_op.tflite"), "rb") as f:
        model = schema.ModelT.InitFromPackedBuf(f.read(), 0)
    op = model.subgraphs[0].operators[1]
    assert model.operatorCodes[op.opcodeIndex].builtinCode == schema.BuiltinOperator.MUL
    op.builtinOptionsType = schema.BuiltinOptions.FakeQuantOptions
    op.builtinOptions = None
    b = flatbuffers.Builder(0)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    out = bytes(b.Output())
    back = schema.Model.GetRootAs(out, 0).Subgraphs(0).Operators(1)
    assert back.BuiltinOptionsType() == schema.BuiltinOptions.FakeQuantOptions and back.BuiltinOptions() is None
    os.makedirs(os.path.join(REGRESSIONS, "tflite_reader"), exist_ok=True)
    with open(os.path.join(REGRESSIONS, "tflite_reader", "options_union_without_table.tflite"), "wb") as f:
        f.write(out)


def keras_seeds():
    """Small Keras files: a one-Dense model as a legacy .h5 (superblock 0 and
    3, fixed- and variable-length strings) and as .keras zips (one weights
    file, sharded). scripts/fuzz.sh adds the files of tests/data/keras."""
    import h5py
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 3]}},
        {"class_name": "Dense", "config": {"name": "dense", "units": 2}}]}}
    kernel, bias = np.arange(6, dtype="<f4").reshape(3, 2), np.array([0.5, -1], "<f4")
    for libver, strings in (("earliest", "fixed"), ("latest", "vlen")):
        b = io.BytesIO()
        with h5py.File(b, "w", libver=libver) as f:
            text = (lambda v: np.bytes_(v)) if strings == "fixed" else (lambda v: v)
            f.attrs["model_config"] = text(compact(config))
            f.attrs["keras_version"] = text("2.21.0")
            w = f.create_group("model_weights")
            w.attrs["layer_names"] = [text("x"), text("dense")] if strings == "vlen" else np.array([b"x", b"dense"])
            w.create_group("x").attrs["weight_names"] = np.array([], "f8")
            g = w.create_group("dense")
            g.attrs["weight_names0"] = np.array([b"dense/kernel:0"])
            g.attrs["weight_names1"] = np.array([b"dense/bias:0"])
            g["dense/kernel:0"], g["dense/bias:0"] = kernel, bias
        put("keras_h5", f"dense_{libver}_{strings}.h5", b.getvalue())

    def weights(layout):
        b = io.BytesIO()
        with h5py.File(b, "w") as f:
            for path, arrays in layout.items():
                g = f.create_group(path)
                g.attrs["name"] = path.split("/")[-2] if path.count("/") > 1 else "s"
                for i, a in arrays.items():
                    g[str(i)] = a
        return b.getvalue()

    def zipped(entries):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w") as z:
            for name, data in entries.items():
                z.writestr(name, data)
        return b.getvalue()

    meta = compact({"keras_version": "3.15.1"})
    put("keras_archive", "dense.keras", zipped({
        "metadata.json": meta, "config.json": compact(config),
        "model.weights.h5": weights({"layers/dense/vars": {0: kernel, 1: bias}})}))
    put("keras_archive", "dense_sharded.keras", zipped({
        "metadata.json": meta, "config.json": compact(config),
        "model.weights.json": compact({"weight_map": {"/layers/dense/vars": ["m_00000.weights.h5", "m_00001.weights.h5"]}}),
        "m_00000.weights.h5": weights({"layers/dense/vars": {0: kernel}}),
        "m_00001.weights.h5": weights({"layers/dense/vars": {1: bias}})}))


def image_seeds():
    """Small PNG and JPEG files encoded by TensorFlow: grayscale, RGB, RGBA,
    16-bit PNG, baseline and progressive JPEG."""
    import tensorflow as tf

    rgb = np.arange(4 * 5 * 3, dtype="u1").reshape(4, 5, 3) * 3
    gray = rgb[:, :, :1]
    rgba = np.concatenate([rgb, gray], axis=2)
    put("image", "gray_4x5.png", tf.io.encode_png(gray).numpy())
    put("image", "rgb_4x5.png", tf.io.encode_png(rgb).numpy())
    put("image", "rgba_4x5.png", tf.io.encode_png(rgba).numpy())
    put("image", "gray16_4x5.png", tf.io.encode_png(gray.astype("u2") * 257).numpy())
    put("image", "rgb_4x5.jpg", tf.io.encode_jpeg(rgb, quality=90).numpy())
    put("image", "gray_4x5.jpg", tf.io.encode_jpeg(gray, quality=90).numpy())
    put("image", "rgb_4x5_progressive.jpg", tf.io.encode_jpeg(rgb, progressive=True).numpy())


def savedmodel_seeds():
    """The committed test SavedModels: saved_model.pb for the graph harness,
    index length + index + data shard for the bundle harness."""
    root = os.path.join(ROOT, "tests", "data", "savedmodel")
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        if not os.path.isdir(d):
            continue
        with open(os.path.join(d, "saved_model.pb"), "rb") as f:
            put("saved_model_pb", name + ".pb", f.read())
        with open(os.path.join(d, "variables", "variables.index"), "rb") as f:
            index = f.read()
        with open(os.path.join(d, "variables", "variables.data-00000-of-00001"), "rb") as f:
            shard = f.read()
        put("tensor_bundle", name + ".bundle", struct.pack("<I", len(index)) + index + shard)


if __name__ == "__main__":
    savedmodel_seeds()
    data_seeds()
    image_seeds()
    json_seeds()
    options_union_crash()
    keras_seeds()
    cli_seeds(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "tfcompress"))
