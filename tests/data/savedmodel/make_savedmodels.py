"""Writes the small SavedModels the C++ importer tests read (tests/cpp/savedmodel_test.cc).

Each model goes to tests/data/savedmodel/<name>/ with input.npy and expected.npy
(the serving signature called in TensorFlow on that input). Run with the
project venv: .venv/bin/python tests/data/savedmodel/make_savedmodels.py [OUT_DIR]
"""
import os
import sys

import numpy as np
import tensorflow as tf
import keras

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(13)


class Mlp(tf.Module):
    """A tf.Module with variables and a tf.function: dense, relu, dense, softmax."""

    def __init__(self):
        super().__init__()
        self.w1 = tf.Variable(rng.standard_normal((6, 8)).astype(np.float32), name="w1")
        self.b1 = tf.Variable(rng.standard_normal((8,)).astype(np.float32), name="b1")
        self.w2 = tf.Variable(rng.standard_normal((8, 3)).astype(np.float32), name="w2")

    @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32, name="x")])
    def __call__(self, x):
        h = tf.nn.relu(tf.matmul(x, self.w1) + self.b1)
        return {"probs": tf.nn.softmax(tf.matmul(h, self.w2))}


def small_cnn():
    """A Keras CNN: conv, batch norm, relu, pooling, depthwise, dense."""
    inp = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inp)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU(name="relu")(x)
    x = keras.layers.MaxPooling2D(name="pool")(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu6", name="dw")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    out = keras.layers.Dense(5, activation="softmax", name="dense")(x)
    model = keras.Model(inp, out, name="small_cnn")
    for w in model.weights:  # random statistics, so batch norm does something
        w.assign(rng.uniform(0.5, 1.5, w.shape).astype(np.float32))
    return model


def activations_mlp():
    """Dense then the activations Keras writes as patterns of TF ops: exact
    GELU (erfc), GELU's tanh form and hard swish, concatenated."""
    inp = keras.Input((6,), name="features")
    x = keras.layers.Dense(8, name="fc")(inp)
    exact = keras.layers.Activation("gelu", name="gelu_exact")(x)
    tanh_form = keras.ops.gelu(x, approximate=True)
    hard_swish = keras.layers.Activation("hard_swish", name="hard_swish")(x)
    out = keras.layers.Concatenate(name="all")([exact, tanh_form, hard_swish])
    return keras.Model(inp, out, name="activations_mlp")


def save(name, export, call, x):
    path = os.path.join(OUT, name)
    export(path)
    np.save(os.path.join(path, "input.npy"), x)
    np.save(os.path.join(path, "expected.npy"), np.asarray(call(x)))


def main():
    x6 = rng.standard_normal((2, 6)).astype(np.float32)
    mlp = Mlp()
    save("module_mlp", lambda p: tf.saved_model.save(mlp, p), lambda x: mlp(x)["probs"], x6)
    img = rng.standard_normal((1, 8, 8, 3)).astype(np.float32)
    cnn = small_cnn()
    save("keras_export_cnn", cnn.export, lambda x: cnn(x, training=False), img)
    save("keras_tfsave_cnn", lambda p: tf.saved_model.save(cnn, p), lambda x: cnn(x, training=False), img)
    act = activations_mlp()
    save("keras_export_activations", act.export, lambda x: act(x, training=False), 3 * x6)


if __name__ == "__main__":
    main()
