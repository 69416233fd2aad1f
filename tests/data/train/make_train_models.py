#!/usr/bin/env python3
"""Small Keras 3 models for the training tests (tests/python/test_train.py) and the
training benchmark (bench/bench_train.py), built from fixed seeds.

  cnn          Fashion-MNIST CNN: Conv2D+ReLU, MaxPooling2D, Conv2D+ReLU, MaxPooling2D,
               Flatten, Dense+ReLU, Dense softmax; input [N,28,28,1]
  mobilenet    MobileNet-style: strided Conv2D (no bias) + BatchNormalization + ReLU6,
               DepthwiseConv2D + BN + ReLU6, pointwise Conv2D + BN + ReLU6 (twice, one
               strided depthwise), GlobalAveragePooling2D, Dense softmax; input [N,16,16,3]
  resnet       ResNet-style: Conv2D (no bias) + BN + ReLU, an identity residual block and a strided
               block with a 1x1 projection (Add, then ReLU), GlobalAveragePooling2D, Dense
               logits (no softmax); input [N,12,12,3]
  mlp          Flatten, Dense+ReLU, Dense+tanh, Dense logits; input [N,8,8]
  text         Embedding(200, 16), GlobalAveragePooling1D, Dense+ReLU, Dense softmax;
               input int32 token ids [N,12]
  bn_dropout   Dense (no bias), BatchNormalization, ReLU, Dropout(0.3), Dense+ReLU, Dropout(0.2),
               Dense softmax; input [N,24]
  audio        Conv1D+ReLU, Conv1D, GlobalMaxPooling1D (REDUCE_MAX in the IR), Dense softmax;
               input [N,32,2]
  fmnist_cnn   the Fashion-MNIST CNN of fixtures/make_fixtures.py (Conv2D 16 same + ReLU,
               MaxPooling2D, Conv2D 32 + ReLU, MaxPooling2D, Flatten, Dense 64 + ReLU, Dense
               softmax; input [N,28,28,1]): the benchmark's first model
  mobilenet_v2 keras.applications.MobileNetV2(alpha 0.35, 96x96x3, 10 classes, random
               weights): the benchmark's second model

A bias in front of a BatchNormalization has an exactly zero gradient, which no float32
implementation reproduces to a relative bound: the layers before one have none.
Every model is Functional and named after its key (the importer scopes IR tensor names
with the model name). Each entry of MODELS gives the builder, the input shape (without
batch), the input dtype and the number of classes; random_data() makes inputs and
labels that fit.

Run:  .venv/bin/python tests/data/train/make_train_models.py OUT_DIR [--only cnn,mlp]
      (writes OUT_DIR/<name>.keras)
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np


def _keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
    import keras
    return keras


def cnn(K):
    L = K.layers
    x = inp = K.Input((28, 28, 1), name="image")
    x = L.Conv2D(8, 3, activation="relu", name="conv1")(x)
    x = L.MaxPooling2D(2, name="pool1")(x)
    x = L.Conv2D(16, 3, activation="relu", name="conv2")(x)
    x = L.MaxPooling2D(2, name="pool2")(x)
    x = L.Flatten(name="flat")(x)
    x = L.Dense(32, activation="relu", name="fc")(x)
    x = L.Dense(10, activation="softmax", name="probs")(x)
    return K.Model(inp, x, name="cnn")


def _conv_bn(K, x, filters, kernel, strides, name):
    L = K.layers
    x = L.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False, name=name)(x)
    x = L.BatchNormalization(name=name + "_bn")(x)
    return L.ReLU(max_value=6.0, name=name + "_relu6")(x)


def _dw_bn(K, x, strides, name):
    L = K.layers
    x = L.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False, name=name)(x)
    x = L.BatchNormalization(name=name + "_bn")(x)
    return L.ReLU(max_value=6.0, name=name + "_relu6")(x)


def mobilenet(K):
    L = K.layers
    x = inp = K.Input((16, 16, 3), name="image")
    x = _conv_bn(K, x, 8, 3, 2, "stem")
    x = _dw_bn(K, x, 1, "dw1")
    x = _conv_bn(K, x, 16, 1, 1, "pw1")
    x = _dw_bn(K, x, 2, "dw2")
    x = _conv_bn(K, x, 24, 1, 1, "pw2")
    x = L.GlobalAveragePooling2D(name="gap")(x)
    x = L.Dense(10, activation="softmax", name="probs")(x)
    return K.Model(inp, x, name="mobilenet")


def _res_block(K, x, filters, strides, name):
    L = K.layers
    y = L.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=name + "_conv1")(x)
    y = L.BatchNormalization(name=name + "_bn1")(y)
    y = L.ReLU(name=name + "_relu1")(y)
    y = L.Conv2D(filters, 3, padding="same", use_bias=False, name=name + "_conv2")(y)
    y = L.BatchNormalization(name=name + "_bn2")(y)
    if strides != 1 or x.shape[-1] != filters:
        x = L.Conv2D(filters, 1, strides=strides, use_bias=False, name=name + "_proj")(x)
        x = L.BatchNormalization(name=name + "_proj_bn")(x)
    y = L.Add(name=name + "_add")([x, y])
    return L.ReLU(name=name + "_out")(y)


def resnet(K):
    L = K.layers
    x = inp = K.Input((12, 12, 3), name="image")
    x = L.Conv2D(8, 3, padding="same", use_bias=False, name="stem")(x)
    x = L.BatchNormalization(name="stem_bn")(x)
    x = L.ReLU(name="stem_relu")(x)
    x = _res_block(K, x, 8, 1, "block1")
    x = _res_block(K, x, 16, 2, "block2")
    x = L.GlobalAveragePooling2D(name="gap")(x)
    x = L.Dense(10, name="logits")(x)
    return K.Model(inp, x, name="resnet")


def mlp(K):
    L = K.layers
    x = inp = K.Input((8, 8), name="features")
    x = L.Flatten(name="flat")(x)
    x = L.Dense(32, activation="relu", name="fc1")(x)
    x = L.Dense(16, activation="tanh", name="fc2")(x)
    x = L.Dense(10, name="logits")(x)
    return K.Model(inp, x, name="mlp")


def text(K):
    L = K.layers
    x = inp = K.Input((12,), dtype="int32", name="tokens")
    x = L.Embedding(200, 16, name="embed")(x)
    x = L.GlobalAveragePooling1D(name="avg")(x)
    x = L.Dense(16, activation="relu", name="fc")(x)
    x = L.Dense(4, activation="softmax", name="probs")(x)
    return K.Model(inp, x, name="text")


def bn_dropout(K):
    L = K.layers
    x = inp = K.Input((24,), name="features")
    x = L.Dense(32, use_bias=False, name="fc1")(x)
    x = L.BatchNormalization(name="fc1_bn")(x)
    x = L.ReLU(name="fc1_relu")(x)
    x = L.Dropout(0.3, name="drop1")(x)
    x = L.Dense(32, activation="relu", name="fc2")(x)
    x = L.Dropout(0.2, name="drop2")(x)
    x = L.Dense(5, activation="softmax", name="probs")(x)
    return K.Model(inp, x, name="bn_dropout")


def audio(K):
    L = K.layers
    x = inp = K.Input((32, 2), name="waveform")
    x = L.Conv1D(8, 5, activation="relu", name="conv1")(x)
    x = L.Conv1D(12, 3, name="conv2")(x)
    x = L.GlobalMaxPooling1D(name="gmp")(x)
    x = L.Dense(4, activation="softmax", name="probs")(x)
    return K.Model(inp, x, name="audio")


def fmnist_cnn(K):
    L = K.layers
    x = inp = K.Input((28, 28, 1), name="image")
    x = L.Conv2D(16, 3, activation="relu", padding="same", name="conv1")(x)
    x = L.MaxPooling2D(name="pool1")(x)
    x = L.Conv2D(32, 3, activation="relu", name="conv2")(x)
    x = L.MaxPooling2D(name="pool2")(x)
    x = L.Flatten(name="flat")(x)
    x = L.Dense(64, activation="relu", name="fc")(x)
    x = L.Dense(10, activation="softmax", name="probs")(x)
    return K.Model(inp, x, name="fmnist_cnn")


def mobilenet_v2(K):
    return K.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10,
                                      name="mobilenet_v2")


# name: (builder, input shape without batch, input dtype, classes)
MODELS = {
    "cnn": (cnn, (28, 28, 1), "float32", 10),
    "mobilenet": (mobilenet, (16, 16, 3), "float32", 10),
    "resnet": (resnet, (12, 12, 3), "float32", 10),
    "mlp": (mlp, (8, 8), "float32", 10),
    "text": (text, (12,), "int32", 4),
    "bn_dropout": (bn_dropout, (24,), "float32", 5),
    "audio": (audio, (32, 2), "float32", 4),
    "fmnist_cnn": (fmnist_cnn, (28, 28, 1), "float32", 10),
    "mobilenet_v2": (mobilenet_v2, (96, 96, 3), "float32", 10),
}
TEXT_VOCAB = 200


def build(name, seed=0, K=None):
    """The model `name`, its weights initialized from `seed`."""
    K = K or _keras()
    K.utils.set_random_seed(seed)
    return MODELS[name][0](K)


def random_data(name, n, seed=0):
    """(x, y) for `name`: n inputs (standard normal floats, or token ids) and int32 labels."""
    _, shape, dtype, classes = MODELS[name]
    rng = np.random.default_rng(seed)
    if dtype == "int32":
        x = rng.integers(0, TEXT_VOCAB, size=(n, *shape), dtype=np.int32)
    else:
        x = rng.standard_normal((n, *shape)).astype(np.float32)
    return x, rng.integers(0, classes, size=n, dtype=np.int32)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--only", default=",".join(m for m in MODELS))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name in args.only.split(","):
        path = os.path.join(args.out, f"{name}.keras")
        build(name, args.seed).save(path)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
