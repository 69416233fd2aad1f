"""Writes optim_golden.npz: Keras 3's own numbers for the training losses,
optimizers and learning-rate schedules that tests/cpp/train_loss_test.cc and
tests/cpp/train_optimizer_test.cc compare src/train/ against.

Member names (dots separate the parts):
  loss.<case>.{pred,target,loss,grad}   loss value (float64 scalar) and dLoss/dpred; Keras computes the
                                       probability cases in float32 (the clip bounds float32 holds are part
                                       of what is compared), the others in float64 (in float32, Keras's own
                                       rounding in softmax - onehot would exceed the 1e-6 tolerance)
  opt.{w0,b0,gw,gb}                    initial parameters and the gradients of 3 steps ([3, ...])
  opt.<case>.{w,b}                     parameter values after each of the 3 steps
  opt.<case>.<param>.<slot>            optimizer slots after the last step (momentum, velocity, velocity_hat)
  sched.<case>.{steps,lr}              learning rate at chosen steps (computed in float64)
The settings of each case are written out again in the C++ tests' case tables.

Run: KERAS_BACKEND=tensorflow .venv/bin/python tests/data/train/make_optim_golden.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.pop("TF_USE_LEGACY_KERAS", None)

from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = Path(__file__).resolve().parent / "optim_golden.npz"
rng = np.random.default_rng(14)
out = {}


def f32(a):
    return np.asarray(a, dtype=np.float32)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def loss_case(name, loss_fn, pred, target, dtype="float32"):
    """pred is rounded to float32 (what the C++ side gets) and then computed in `dtype`."""
    target = np.asarray(target)
    pred_t = tf.constant(f32(pred).astype(dtype))
    target_t = tf.constant(target.astype(dtype) if target.dtype.kind == "f" else target)
    with tf.GradientTape() as tape:
        tape.watch(pred_t)
        value = loss_fn(target_t, pred_t)
    grad = tape.gradient(value, pred_t)
    out[f"loss.{name}.pred"] = f32(pred)
    out[f"loss.{name}.target"] = target
    out[f"loss.{name}.loss"] = np.float64(value.numpy())
    out[f"loss.{name}.grad"] = grad.numpy()


def make_losses():
    L = keras.losses
    logits = rng.normal(0, 2, (4, 5))
    labels = np.array([0, 3, 4, 1], np.int32)
    f64 = {"dtype": "float64"}
    loss_case("sce_logits", L.SparseCategoricalCrossentropy(from_logits=True, **f64), logits, labels, **f64)
    loss_case("sce_logits_rank3", L.SparseCategoricalCrossentropy(from_logits=True, **f64),
              rng.normal(0, 2, (2, 3, 5)), rng.integers(0, 5, (2, 3)).astype(np.int64), **f64)
    probs = softmax(rng.normal(0, 2, (4, 5)))
    probs[1] = [0.0, 1.0, 0.0, 0.0, 0.0]   # clipped at both ends, label inside
    probs[2, 4] = 0.0                      # the label's probability is clipped to eps
    loss_case("sce_probs", L.SparseCategoricalCrossentropy(), probs, labels.astype(np.int64)[:, None])
    onehot = np.eye(5, dtype=np.float32)[labels]
    loss_case("cce_logits", L.CategoricalCrossentropy(from_logits=True, **f64), logits, onehot, **f64)
    unnormalized = rng.uniform(0.05, 1.0, (4, 5))
    unnormalized[0, 0] = 0.0
    unnormalized[3, 1] = 0.0               # the label's probability is clipped to eps
    loss_case("cce_probs", L.CategoricalCrossentropy(), unnormalized, onehot)
    bits = rng.integers(0, 2, (4, 3)).astype(np.float32)
    bits[0, 0] = 0.3                       # a soft label
    loss_case("bce_logits", L.BinaryCrossentropy(from_logits=True, **f64), rng.normal(0, 2, (4, 3)), bits, **f64)
    p = rng.uniform(0.02, 0.98, (4, 3))
    p[1, 1], p[2, 2] = 0.0, 1.0            # clipped
    loss_case("bce_probs", L.BinaryCrossentropy(), p, bits)
    loss_case("mse", L.MeanSquaredError(**f64), rng.normal(0, 1, (4, 3)), f32(rng.normal(0, 1, (4, 3))), **f64)
    loss_case("mse_rank3", L.MeanSquaredError(**f64), rng.normal(0, 1, (2, 3, 4)),
              f32(rng.normal(0, 1, (2, 3, 4))), **f64)
    q = softmax(rng.normal(0, 1, (4, 5)))
    q[0, 2] = 0.0                          # clipped to eps
    loss_case("kld_probs", L.KLDivergence(), q, f32(softmax(rng.normal(0, 1, (4, 5)))))
    # Distillation: T^2 * KL(softmax(teacher / T) || softmax(student / T)), T = 2.
    t = 2.0
    teacher = f32(rng.normal(0, 2, (4, 5)))
    kld = L.KLDivergence(**f64)
    loss_case("kld_logits_t2",
              lambda y, s: t * t * kld(tf.nn.softmax(y / t), tf.nn.softmax(s / t)),
              rng.normal(0, 2, (4, 5)), teacher, **f64)


# name -> (optimizer factory, variable names excluded from weight decay)
OPTIMIZERS = {
    "sgd": lambda: keras.optimizers.SGD(0.1),
    "sgd_momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9),
    "sgd_nesterov": lambda: keras.optimizers.SGD(0.1, momentum=0.9, nesterov=True),
    "sgd_wd": lambda: keras.optimizers.SGD(0.1, momentum=0.5, weight_decay=0.1),
    "sgd_clipnorm": lambda: keras.optimizers.SGD(0.1, clipnorm=0.5),
    "sgd_global_clipnorm": lambda: keras.optimizers.SGD(0.1, global_clipnorm=0.5),
    "sgd_clipvalue": lambda: keras.optimizers.SGD(0.1, clipvalue=0.3),
    "adam": lambda: keras.optimizers.Adam(0.1),
    "adam_eps": lambda: keras.optimizers.Adam(0.1, beta_1=0.8, beta_2=0.9, epsilon=0.1),
    "adam_amsgrad": lambda: keras.optimizers.Adam(0.1, amsgrad=True),
    "adam_wd": lambda: keras.optimizers.Adam(0.1, weight_decay=0.1),
    "adamw": lambda: keras.optimizers.AdamW(0.1, weight_decay=0.05),
    "adamw_no_decay_b": lambda: keras.optimizers.AdamW(0.1, weight_decay=0.05),
}
SLOTS = {"momentums": "momentum", "_momentums": "momentum", "_velocities": "velocity",
         "_velocity_hats": "velocity_hat"}


def make_optimizers():
    w0 = f32(rng.normal(0, 1, (3, 4)))
    b0 = f32(rng.normal(0, 1, (4,)))
    gw = f32(rng.normal(0, 1, (3, 3, 4)))
    gb = f32(rng.normal(0, 1, (3, 4)))
    out.update({"opt.w0": w0, "opt.b0": b0, "opt.gw": gw, "opt.gb": gb})
    for name, factory in OPTIMIZERS.items():
        opt = factory()
        if name.endswith("no_decay_b"):
            opt.exclude_from_weight_decay(var_names=["b"])
        w, b = keras.Variable(w0, name="w"), keras.Variable(b0, name="b")
        ws, bs = [], []
        for step in range(3):
            opt.apply([tf.constant(gw[step]), tf.constant(gb[step])], [w, b])
            ws.append(w.numpy())
            bs.append(b.numpy())
        out[f"opt.{name}.w"], out[f"opt.{name}.b"] = f32(ws), f32(bs)
        for attr, slot in SLOTS.items():
            for var, param in zip(getattr(opt, attr, None) or [], ["w", "b"]):
                if var is not None:
                    out[f"opt.{name}.{param}.{slot}"] = f32(var.numpy())


def sched_case(name, schedule, steps):
    out[f"sched.{name}.steps"] = np.array(steps, np.int64)
    out[f"sched.{name}.lr"] = np.array([float(schedule(np.float64(s))) for s in steps], np.float64)


def make_schedules():
    S = keras.optimizers.schedules
    lr = np.float64(0.1)
    sched_case("step", S.ExponentialDecay(lr, 30, 0.1, staircase=True), [0, 1, 29, 30, 31, 59, 60, 100])
    sched_case("exp", S.ExponentialDecay(lr, 30, 0.5), [0, 1, 15, 30, 45, 100])
    sched_case("piecewise", S.PiecewiseConstantDecay([10, 20], [lr, lr * 0.1, lr * 0.01]),
               [0, 9, 10, 11, 20, 21, 100])
    sched_case("cosine", S.CosineDecay(lr, 100, alpha=0.1), [0, 1, 50, 99, 100, 150])
    sched_case("cosine_total", S.CosineDecay(lr, 200), [0, 1, 100, 199, 200, 300])
    sched_case("warmup_cosine", S.CosineDecay(np.float64(0), 100, warmup_target=lr, warmup_steps=10),
               [0, 1, 5, 9, 10, 11, 60, 109, 110, 200])
    sched_case("warmup_from_cosine",
               S.CosineDecay(lr * 0.1, 100, alpha=0.2, warmup_target=lr, warmup_steps=10),
               [0, 1, 5, 9, 10, 11, 60, 109, 110, 200])


def main():
    make_losses()
    make_optimizers()
    make_schedules()
    np.savez(OUT, **out)
    print(f"wrote {len(out)} arrays to {OUT}")


if __name__ == "__main__":
    main()
