"""Writes the small Keras container files tests/cpp/keras_file_test.cc reads.

One small model (Dense, a nested Sequential with Dense and BatchNormalization,
EinsumDense, an adapted Normalization, Dense) saved as:
  tiny.keras          Keras 3 model.save
  tiny_sharded.keras  the same zip with the weights sharded as Keras's
                      save_weights(..., max_shard_size) writes them
                      (model.weights.json + model_0000N.weights.h5)
  tiny.h5             tf-keras legacy HDF5, the same weights
  tiny_weights.npz    every variable as h5py reads it from tiny.keras, named
                      "<layer>/<i>" ("inner/in_bn/2" for a nested layer)
  ops.keras           Dense, a keras.ops add (`y + 1.0`, no Layer: it has no
                      weights group), Dense, an Add layer named "sum" (its
                      group is layers/add, not layers/add_1)
and hostile variants (hostile_*.keras, hostile_*.h5), each damaged in one way
the reader must refuse with a clear message.

Run from the repository root: .venv/bin/python tests/data/keras/make_files.py
"""
import io
import os
import pathlib
import shutil
import struct
import tempfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent


def build_keras3():
    import keras
    keras.utils.set_random_seed(13)
    inner = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3, name="in_d"), keras.layers.BatchNormalization(name="in_bn")],
        name="inner")
    x = keras.Input((6,), name="x")
    y = keras.layers.Dense(4, name="d1")(x)
    y = inner(y)
    y = keras.layers.EinsumDense("ab,bc->ac", output_shape=5, bias_axes="c", name="ein")(y)
    norm = keras.layers.Normalization(name="norm")
    norm.adapt(np.random.default_rng(1).normal(size=(16, 5)).astype("float32"))
    y = norm(y)
    y = keras.layers.Dense(2, name="d2")(y)
    model = keras.Model(x, y, name="tiny")
    bn = inner.get_layer("in_bn")  # moving statistics that are not 0 and 1
    bn.moving_mean.assign(np.array([0.5, -0.25, 1.0], "float32"))
    bn.moving_variance.assign(np.array([2.0, 0.5, 1.5], "float32"))
    return model


def write_ops_model(path):
    import keras
    keras.utils.set_random_seed(5)
    x = keras.Input((4,), name="x")
    y = keras.layers.Dense(3, name="d1")(x)
    y = y + 1.0
    z = keras.layers.Dense(3, name="d2")(y)
    keras.Model(x, keras.layers.Add(name="sum")([y, z]), name="ops").save(path)


def weights_of(model):
    """{"layer/i": array} in each layer's variable order (nested: "outer/inner/i")."""
    out = {}
    for layer in model.layers:
        if hasattr(layer, "layers"):
            for inner in layer.layers:
                for i, v in enumerate(inner.weights):
                    out[f"{layer.name}/{inner.name}/{i}"] = np.asarray(v)
        else:
            for i, v in enumerate(layer.weights):
                out[f"{layer.name}/{i}"] = np.asarray(v)
    return out


def h5py_weights(keras_path):
    """The same names as weights_of, but read with h5py from the .keras zip."""
    with zipfile.ZipFile(keras_path) as z, h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
        out = {}

        def visit(path, obj):
            if not isinstance(obj, h5py.Dataset):
                return
            group, index = path.rsplit("/vars/", 1)
            name = f[group + "/vars"].attrs["name"]
            parts = group.split("/")
            if len(parts) > 2:  # layers/<outer>/layers/<inner>
                name = f["/".join(parts[:2]) + "/vars"].attrs["name"] + "/" + name
            out[f"{name}/{index}"] = obj[()]

        f.visititems(visit)
        return out


def write_sharded(model, keras_path, sharded_path):
    with tempfile.TemporaryDirectory() as tmp:
        model.save_weights(os.path.join(tmp, "model.weights.json"), max_shard_size=0.0000001)
        shards = sorted(p for p in os.listdir(tmp) if p.endswith(".weights.h5"))
        assert len(shards) > 1, shards
        with zipfile.ZipFile(keras_path) as src, zipfile.ZipFile(sharded_path, "w") as dst:
            for name in ("metadata.json", "config.json"):
                dst.writestr(name, src.read(name))
            for name in ["model.weights.json"] + shards:
                dst.write(os.path.join(tmp, name), name)


def write_legacy_h5(weights, path):
    import tf_keras
    inner = tf_keras.Sequential(
        [tf_keras.Input((4,)), tf_keras.layers.Dense(3, name="in_d"),
         tf_keras.layers.BatchNormalization(name="in_bn")], name="inner")
    x = tf_keras.Input((6,), name="x")
    y = tf_keras.layers.Dense(4, name="d1")(x)
    y = inner(y)
    y = tf_keras.layers.EinsumDense("ab,bc->ac", output_shape=5, bias_axes="c", name="ein")(y)
    norm = tf_keras.layers.Normalization(name="norm")
    norm.adapt(np.zeros((2, 5), "float32"))
    y = norm(y)
    y = tf_keras.layers.Dense(2, name="d2")(y)
    model = tf_keras.Model(x, y, name="tiny")
    for layer in model.layers:
        if hasattr(layer, "layers"):
            for il in layer.layers:
                il.set_weights([weights[f"{layer.name}/{il.name}/{i}"] for i in range(len(il.weights))])
        elif layer.weights:
            layer.set_weights([weights[f"{layer.name}/{i}"] for i in range(len(layer.weights))])
    model.save(path)


def rezip(src, dst, edit):
    """Copies the zip src to dst, entries passed through edit(name, data) -> [(name, data)]."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as out:
        for info in z.infolist():
            for name, data in edit(info.filename, z.read(info.filename)):
                out.writestr(name, data)


def declare_huge(src, dst, entry):
    """The size fields of `entry` in the local and central headers set to 2^31 - 1."""
    data = bytearray(pathlib.Path(src).read_bytes())
    name = entry.encode()
    local = data.find(b"PK\x03\x04")
    while local >= 0:
        n = struct.unpack_from("<H", data, local + 26)[0]
        if data[local + 30:local + 30 + n] == name:
            struct.pack_into("<I", data, local + 22, 0x7FFFFFFF)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        n = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + n] == name:
            struct.pack_into("<I", data, central + 24, 0x7FFFFFFF)
        central = data.find(b"PK\x01\x02", central + 4)
    pathlib.Path(dst).write_bytes(bytes(data))


def hostile_keras(tiny):
    def drop(entry):
        return lambda name, data: [] if name == entry else [(name, data)]

    rezip(tiny, OUT / "hostile_zip_slip.keras",
          lambda n, d: [("../" + n, d)] if n == "config.json" else [(n, d)])
    rezip(tiny, OUT / "hostile_absolute_name.keras",
          lambda n, d: [("/tmp/" + n, d)] if n == "metadata.json" else [(n, d)])
    with zipfile.ZipFile(OUT / "hostile_duplicate.keras", "w") as out, zipfile.ZipFile(tiny) as z:
        for info in z.infolist():
            out.writestr(info.filename, z.read(info.filename))
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out.writestr("config.json", b"{}")
    rezip(tiny, OUT / "hostile_no_config.keras", drop("config.json"))
    rezip(tiny, OUT / "hostile_no_weights.keras", drop("model.weights.h5"))
    rezip(tiny, OUT / "hostile_keras2_metadata.keras",
          lambda n, d: [(n, b'{"keras_version": "2.13.1"}' if n == "metadata.json" else d)])
    declare_huge(tiny, OUT / "hostile_huge_entry.keras", "model.weights.h5")


def edit_h5(src, dst, edit):
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)


def replace(path, make):
    def edit(f):
        del f[path]
        make(f, path)
    return edit


def hostile_h5(tiny_h5):
    kernel = "model_weights/d1/d1/kernel:0"
    edit_h5(tiny_h5, OUT / "hostile_huge_shape.h5", replace(
        kernel, lambda f, p: f.create_dataset(p, shape=(1 << 40, 1 << 40), chunks=(1, 1), dtype="float32")))
    edit_h5(tiny_h5, OUT / "hostile_string_weight.h5", replace(
        kernel, lambda f, p: f.create_dataset(p, data=np.array([b"abc", b"def"]))))
    edit_h5(tiny_h5, OUT / "hostile_compressed.h5", replace(
        kernel, lambda f, p: f.create_dataset(p, data=np.ones((6, 4), "float32"), compression="gzip")))
    edit_h5(tiny_h5, OUT / "hostile_external_link.h5", replace(
        kernel, lambda f, p: f.__setitem__(p, h5py.ExternalLink("/etc/passwd", "/x"))))
    edit_h5(tiny_h5, OUT / "hostile_no_config.h5", lambda f: f.attrs.__delitem__("model_config"))
    edit_h5(tiny_h5, OUT / "hostile_unknown_layer.h5", lambda f: f["model_weights"].attrs.__setitem__(
        "layer_names", np.array([b"x", b"d1", b"nope"])))


def main():
    model = build_keras3()
    tiny = OUT / "tiny.keras"
    model.save(tiny)
    expected = weights_of(model)
    read = h5py_weights(tiny)
    assert sorted(read) == sorted(expected), (sorted(read), sorted(expected))
    for k in expected:
        np.testing.assert_array_equal(read[k], expected[k])
    np.savez(OUT / "tiny_weights.npz", **read)
    write_sharded(model, tiny, OUT / "tiny_sharded.keras")
    write_legacy_h5(expected, OUT / "tiny.h5")
    hostile_keras(tiny)
    hostile_h5(OUT / "tiny.h5")
    write_ops_model(OUT / "ops.keras")
    for p in sorted(OUT.iterdir()):
        if p.suffix in (".keras", ".h5", ".npz"):
            print(f"{p.name}: {p.stat().st_size} bytes")


if __name__ == "__main__":
    main()
