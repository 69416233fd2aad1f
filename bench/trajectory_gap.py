#!/usr/bin/env python3
"""Where our SGD trajectory parts from Keras's (tests/python/test_train.py, TRAJECTORIES): a diagnostic.

Curves: the per-step losses of `tfcompress train` (plain SGD, --no-shuffle) and of Keras in float64 and in
its float32 runs of the same computation (plain, XLA, each batch's samples reversed; test_train's
keras_trajectories), from the same initial weights and data; per step the relative differences against
Keras float64 and ours against Keras float32, and the first step where each exceeds 1e-6.

--gates STEP: why step STEP's gradient differs. Our parameters after STEP - 1 steps (checkpoint.npz) go
into the Keras model; the inputs of its ReLU / ReLU6 layers on batch STEP, in float64, within --near of 0
or 6 are listed (with Keras float32's value at our parameters and float64's at Keras float64's own
parameters after STEP - 1 steps); then our gradient at those parameters (`train --gradients` on a .keras
holding them: the biases ours alone trains in front of a BatchNormalization, about 1e-8, are left out)
against Keras float64's, with the gates as they fall and with each listed gate flipped: the largest
relative difference over the parameters (max |ours - keras| / max |keras| per tensor).

Run:  .venv/bin/python bench/trajectory_gap.py [--model mobilenet] [--data random|fmnist] [--data-seed 3]
          [--batch 16] [--lr 0.02] [--steps 200] [--table] [--gates STEP] [--near 3e-6]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "python"))
import numpy as np  # noqa: E402
import test_train as T  # noqa: E402
from conftest import run_cli  # noqa: E402


def train(path, data, a, steps, *extra):
    return run_cli("train", path, "--data", data, "--steps", steps, "--batch", a.batch, "--lr", a.lr,
                   "--optimizer", "sgd", "--loss", "sparse-ce", "--no-shuffle", *extra)


def first_over(rel, bound=1e-6):
    i = np.nonzero(rel > bound)[0]
    return int(i[0]) + 1 if i.size else None


def curves(a, model, path, data, x, y, d):
    proc = train(path, data, a, a.steps, "--json", "-o", d / "out.tflite")
    ours = np.array(json.loads(proc.stdout)["step_losses"])
    runs = T.keras_trajectories(a.model, model, x, y, a.batch, a.lr, a.steps)
    ref = runs["float64"]
    rel = {"ours-k64": T.relative_to(ref)(ours), "ours-k32": T.relative_to(runs["float32"])(ours)}
    rel.update({f"{k}-k64": T.relative_to(ref)(v) for k, v in runs.items() if k != "float64"})
    if a.table:
        print("step " + " ".join(f"{k:>20s}" for k in rel))
        for s in range(a.steps):
            print(f"{s + 1:4d} " + " ".join(f"{r[s]:20.3g}" for r in rel.values()))
    print(f"loss at step {a.steps}: ours {ours[-1]:.9g}, " +
          ", ".join(f"keras {k} {v[-1]:.9g}" for k, v in runs.items()))
    for k, r in rel.items():
        print(f"{k:24s} first step over 1e-6: {first_over(r)}; at step {a.steps}: {r[-1]:.3g}; largest {r.max():.3g} "
              f"(step {int(r.argmax()) + 1})")


def to_keras_layout(layout, a, shape):
    if layout is T._conv_kernel:
        return np.transpose(a, (1, 2, 3, 0))
    if layout is np.transpose:
        return a.T
    return a.reshape(shape)


def gate_inputs(model, xb):
    """{ReLU layer name: (its input on xb in training mode, its thresholds)}."""
    K = T.keras()
    layers = [l for l in model.layers if isinstance(l, K.layers.ReLU)]
    outs = K.Model(model.inputs, [l.input for l in layers])(xb, training=True)
    return {l.name: (np.asarray(o), (0.0,) if l.max_value is None else (0.0, float(l.max_value)))
            for l, o in zip(layers, outs)}


def with_gate_flipped(model, layer, index):
    """model (variables shared) whose ReLU layer `layer` passes the gradient at `index` where it would not
    and the other way round."""
    import tensorflow as tf
    K = T.keras()
    relu = model.get_layer(layer)

    class Flipped(K.layers.Layer):
        def call(self, v):
            @tf.custom_gradient
            def f(v):
                def grad(dy):
                    hi = np.inf if relu.max_value is None else relu.max_value
                    gate = tf.cast((v > 0) & (v < hi), dy.dtype)
                    gate = tf.tensor_scatter_nd_update(gate, [index], [1 - gate[index]])
                    return dy * gate
                return relu(v), grad
            return f(v)

    return K.models.clone_model(model, clone_function=lambda l: Flipped(name=l.name, dtype=l.dtype_policy)
                                if l.name == layer else l)


def gates(a, model, path, data, x, y, d):
    K = T.keras()
    s = a.gates
    train(path, data, a, s - 1, "--checkpoint", d / "ck", "-o", d / "ck.tflite")
    ck = np.load(d / "ck" / "checkpoint.npz")
    ours = T.M.MODELS[a.model][0](K)
    ours.set_weights(model.get_weights())
    params, _ = T.ir_params(ours)
    for name, (i, layout) in params.items():
        v = ours.trainable_variables[i]
        v.assign(to_keras_layout(layout, ck["param:" + name], v.shape))
    ours64 = T.float64_twin(a.model, ours)
    k64 = T.float64_twin(a.model, model)
    xb, yb = x[(s - 1) * a.batch:s * a.batch], y[(s - 1) * a.batch:s * a.batch]
    xb64 = xb if xb.dtype == np.int32 else xb.astype(np.float64)
    T.keras_sgd_losses(k64, x if x.dtype == np.int32 else x.astype(np.float64), y, a.batch, a.lr, s - 1)
    at_ours, at_ours32, at_k64 = gate_inputs(ours64, xb64), gate_inputs(ours, xb), gate_inputs(k64, xb64)

    ours.save(d / "ours.keras")
    np.savez(d / "batch.npz", x=xb, y=yb)
    run_cli("train", d / "ours.keras", "--data", d / "batch.npz", "--batch", a.batch, "--lr", a.lr, "--no-shuffle",
            "--loss", "sparse-ce", "--gradients", d / "g.npz", "-o", d / "g.tflite")
    ours_grad = np.load(d / "g.npz")
    from_logits = not T.ends_in_softmax(model)

    _, keras32 = T.keras_loss_and_grads(ours, ours.trainable_variables, xb, yb, from_logits)
    keras32 = {n: layout(keras32[i]) for n, (i, layout) in params.items()}

    def worst(net, got=ours_grad):
        _, ref = T.keras_loss_and_grads(net, ours64.trainable_variables, xb64, yb, from_logits)
        return max((T.relative_difference(got[n].reshape(layout(ref[i]).shape), layout(ref[i])), n)
                   for n, (i, layout) in params.items())

    print(f"step {s}: our gradient at our parameters after step {s - 1} against Keras float64's at them:")
    print("  gates as they fall: %.3g (%s)" % worst(ours64))
    print("  (Keras float32's gradient there against float64's: %.3g (%s))" % worst(ours64, keras32))
    for layer, (v, thresholds) in at_ours.items():
        for t in thresholds:
            for j in np.nonzero(np.abs(v - t).ravel() < a.near)[0]:
                idx = tuple(int(i) for i in np.unravel_index(j, v.shape))
                print(f"  {layer} input {idx} - {t:g}: float64 {v[idx] - t:+.3g}, Keras float32 "
                      f"{at_ours32[layer][0][idx] - t:+.3g}, float64 at Keras float64's parameters "
                      f"{at_k64[layer][0][idx] - t:+.3g}; that gate flipped: %.3g (%s)"
                      % worst(with_gate_flipped(ours64, layer, list(idx))))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="mobilenet")
    ap.add_argument("--data", default="random", choices=["random", "fmnist"])
    ap.add_argument("--data-seed", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=0.02)
    ap.add_argument("--steps", type=int, default=T.TRAJECTORY_STEPS)
    ap.add_argument("--table", action="store_true", help="print every step")
    ap.add_argument("--gates", type=int, default=0, metavar="STEP", help="find the gates that decide step STEP")
    ap.add_argument("--near", type=float, default=3e-6, help="distance to a threshold that lists a gate")
    a = ap.parse_args(argv)
    n = a.steps * a.batch
    x, y = T.fmnist("train", n) if a.data == "fmnist" else T.M.random_data(a.model, n, seed=a.data_seed)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        model, path = T.saved_model(d, a.model, randomized=False)
        np.savez(d / "data.npz", x=x, y=y)
        if a.gates:
            gates(a, model, path, d / "data.npz", x, y, d)
        else:
            curves(a, model, path, d / "data.npz", x, y, d)
    return 0


if __name__ == "__main__":
    sys.exit(main())
