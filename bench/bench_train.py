#!/usr/bin/env python3
"""Training throughput and peak memory: `tfcompress train` against Keras `model.fit` on TensorFlow's CPU
path, same model, data, optimizer, batch size and thread count.

Models (tests/data/train/make_train_models.py, Keras 3, random initial weights; built on first use into
.data/bench-train/<name>.keras by a separate process, before anything is timed):
  fmnist_cnn     the Fashion-MNIST CNN (input 28x28x1), batch 64
  mobilenet_v2   keras.applications.MobileNetV2, alpha 0.35, 96x96x3, 10 classes, batch 32
Data: seeded random inputs (uniform [0,1)) and labels, --steps batches of each model's batch size, written
once as an .npz that both sides read. Optimizer Adam (lr 1e-3), sparse categorical cross-entropy, no
shuffling, --epochs epochs (default 2: the first one warms up).

- **ours**: `tfcompress train MODEL.keras --data X.npz --epochs E --batch B --lr 0.001 --optimizer adam
  --loss sparse-ce --no-shuffle --threads T --json -o OUT.tflite`, one process per run; samples/s is the
  trainer's own `samples_per_second` (its --json summary);
- **keras**: one Python process per run that sets TensorFlow's intra- and inter-op thread pools to T,
  loads the .keras (keras.saving.load_model), compiles (Adam 1e-3, sparse categorical cross-entropy) and
  runs model.fit(x, y, batch_size=B, epochs=E, shuffle=False); samples/s is that of the last epoch
  (a callback times each epoch; the first one includes tracing and compiling the step function).
Peak memory is the maximum resident set size of each process alone (GNU time, as bench_quantize.py):
the Keras process includes Python and TensorFlow. Wall time is the whole process.
The two sides alternate over --repeat rounds; figures are medians; ratios are ours / Keras (throughput:
above 1 is ours faster; memory: below 1 is ours smaller; the issue's goal is >= 1.0 and <= 0.5).

Run (after scripts/setup.sh and scripts/build.sh):
  .venv/bin/python bench/bench_train.py [--models fmnist_cnn,mobilenet_v2] [--threads 2] [--steps N]
      [--epochs 2] [--repeat 3] [--sides ours,keras] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from bench_quantize import TIME, cpu_model, require_tools, run_measured  # noqa: E402 (bench/ is on sys.path)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_SCRIPT = os.path.join(ROOT, "tests", "data", "train", "make_train_models.py")
MODEL_DIR = os.path.join(ROOT, ".data", "bench-train")
SIDES = ("ours", "keras")
LR = 1e-3
# name -> (input shape without batch, classes, batch size, default steps per epoch)
MODELS = {
    "fmnist_cnn": ((28, 28, 1), 10, 64, 100),
    "mobilenet_v2": ((96, 96, 3), 10, 32, 20),
}


def keras_child(model_path, data_path, batch, epochs, threads):
    """In the child process: TensorFlow with T threads, load, compile, fit; prints timings as JSON."""
    os.environ.pop("TF_USE_LEGACY_KERAS", None)
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    data = np.load(data_path)
    x, y = data["x"], data["y"]
    model = keras.saving.load_model(model_path, compile=False)
    model.compile(optimizer=keras.optimizers.Adam(LR), loss="sparse_categorical_crossentropy")

    class EpochTimer(keras.callbacks.Callback):
        seconds: list = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.t0)

    timer = EpochTimer()
    t0 = time.perf_counter()
    model.fit(x, y, batch_size=batch, epochs=epochs, shuffle=False, verbose=0, callbacks=[timer])
    fit_s = time.perf_counter() - t0
    print(json.dumps({"epoch_seconds": timer.seconds, "fit_s": fit_s,
                      "samples_per_second": len(x) / timer.seconds[-1],
                      "samples_per_second_all": len(x) * epochs / fit_s}))
    return 0


def ensure_models(names):
    missing = [n for n in names if not os.path.exists(os.path.join(MODEL_DIR, f"{n}.keras"))]
    if missing:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        subprocess.run([sys.executable, MODEL_SCRIPT, MODEL_DIR, "--only", ",".join(missing)], check=True,
                       env=env, stdout=subprocess.DEVNULL)


def write_data(name, steps, tmp):
    shape, classes, batch, _ = MODELS[name]
    rng = np.random.default_rng(0)
    n = steps * batch
    path = os.path.join(tmp, f"{name}.npz")
    np.savez(path, x=rng.random((n, *shape), dtype=np.float32),
             y=rng.integers(0, classes, n).astype(np.int32))
    return path, n


def run_ours(cli, model, data, batch, epochs, threads, out):
    wall, rss, stdout, err, rc = run_measured([cli, "train", model, "--data", data, "--epochs", str(epochs),
                                               "--batch", str(batch), "--lr", str(LR), "--optimizer", "adam",
                                               "--loss", "sparse-ce", "--no-shuffle", "--threads", str(threads),
                                               "--json", "-o", out])
    if rc != 0:
        sys.exit(f"tfcompress train exited {rc}:\n{err[-4000:]}")
    s = json.loads(stdout)
    return {"wall_s": wall, "peak_rss": rss, "samples_per_second": s["samples_per_second"],
            "steps": s["steps"]}


def run_keras(model, data, batch, epochs, threads):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="-1")
    wall, rss, stdout, err, rc = run_measured([sys.executable, os.path.abspath(__file__), "--keras-child", model,
                                               data, str(batch), str(epochs), str(threads)], env=env)
    if rc != 0:
        sys.exit(f"keras process exited {rc}:\n{err[-4000:]}")
    t = json.loads(stdout.strip().splitlines()[-1])
    return {"wall_s": wall, "peak_rss": rss, "samples_per_second": t["samples_per_second"],
            "samples_per_second_all": t["samples_per_second_all"], "epoch_seconds": t["epoch_seconds"]}


def summarize(runs, keys):
    return {k: statistics.median(r[k] for r in runs) for k in keys} | {"runs": runs}


def measure_one(args, name, threads, tmp):
    _, _, batch, default_steps = MODELS[name]
    steps = args.steps or default_steps
    data, n = write_data(name, steps, tmp)
    model = os.path.join(MODEL_DIR, f"{name}.keras")
    runs = {s: [] for s in args.sides}
    for i in range(args.repeat):
        for side in args.sides if i % 2 == 0 else args.sides[::-1]:
            if side == "ours":
                out = os.path.join(tmp, f"{name}_{i}.tflite")
                runs[side].append(run_ours(args.cli, model, data, batch, args.epochs, threads, out))
            else:
                runs[side].append(run_keras(model, data, batch, args.epochs, threads))
    row = {"model": name, "threads": threads, "batch": batch, "samples_per_epoch": n, "epochs": args.epochs}
    if "ours" in runs:
        row["ours"] = summarize(runs["ours"], ["samples_per_second", "peak_rss", "wall_s"])
    if "keras" in runs:
        row["keras"] = summarize(runs["keras"], ["samples_per_second", "samples_per_second_all", "peak_rss",
                                                 "wall_s"])
    if len(runs) == 2:
        o, k = row["ours"], row["keras"]
        row["ratio_ours_over_keras"] = {"samples_per_second": o["samples_per_second"] / k["samples_per_second"],
                                        "peak_rss": o["peak_rss"] / k["peak_rss"]}
    return row


def versions(cli):
    try:
        tfc = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout.strip() or None
    except OSError:
        tfc = None
    probe = ("import importlib.metadata as m; print(m.version('tensorflow'), m.version('keras'))")
    tf_keras = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout.split()
    return {"tfcompress": tfc, "tensorflow": tf_keras[0] if tf_keras else None,
            "keras": tf_keras[1] if len(tf_keras) > 1 else None, "python": platform.python_version()}


def print_table(result):
    mib = 2 ** 20
    print(f"training throughput and peak RSS, median of {result['repeat']}; {os.cpu_count()} CPUs, "
          f"{result['machine']['cpu']}; Adam lr {LR}, {result['epochs']} epochs (Keras: last epoch's rate)")

    def cell(d, key, scale=1.0, fmt="{:>11.1f}"):
        return fmt.format(d[key] / scale) if d and key in d else f"{'-':>11}"

    hdr = (f"{'model':<14} {'thr':>3} {'batch':>5} {'ours smp/s':>11} {'keras smp/s':>11} {'ratio':>7} "
           f"{'ours MiB':>11} {'keras MiB':>11} {'ratio':>7}")
    print(hdr)
    print("-" * len(hdr))
    for r in result["results"]:
        o, k, q = r.get("ours"), r.get("keras"), r.get("ratio_ours_over_keras", {})
        ratio = (lambda key: f"{q[key]:>6.2f}x" if key in q else f"{'-':>7}")
        print(f"{r['model']:<14} {r['threads']:>3} {r['batch']:>5} {cell(o, 'samples_per_second')} "
              f"{cell(k, 'samples_per_second')} {ratio('samples_per_second')} {cell(o, 'peak_rss', mib)} "
              f"{cell(k, 'peak_rss', mib)} {ratio('peak_rss')}")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--keras-child"]:
        model, data, batch, epochs, threads = argv[1:6]
        return keras_child(model, data, int(batch), int(epochs), int(threads))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of: {', '.join(MODELS)}")
    ap.add_argument("--threads", default=str(min(2, os.cpu_count() or 1)), help="comma-separated thread counts")
    ap.add_argument("--steps", type=int, help="batches per epoch (default: fmnist_cnn 100, mobilenet_v2 20)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sides", default=",".join(SIDES), help="ours,keras or one of them")
    ap.add_argument("--cli", default=os.environ.get("TFC_CLI", os.path.join(ROOT, "build", "tfcompress")))
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    args = ap.parse_args(argv)
    names = [m for m in args.models.split(",") if m]
    for n in names:
        if n not in MODELS:
            ap.error(f"unknown model {n}; known: {', '.join(MODELS)}")
    args.sides = tuple(s for s in args.sides.split(",") if s)
    if not args.sides or any(s not in SIDES for s in args.sides):
        ap.error("--sides: ours, keras or both")
    try:
        threads = [int(t) for t in args.threads.split(",") if t]
    except ValueError:
        ap.error("--threads: comma-separated integers")
    if not threads or min(threads) < 1 or args.repeat < 1 or args.epochs < 1 or (args.steps or 1) < 1:
        ap.error("--threads, --repeat, --epochs and --steps must be >= 1")
    if "ours" in args.sides:
        require_tools(args.cli)
    elif not os.path.exists(TIME):
        sys.exit(f"{TIME} not found (Debian package time); run scripts/setup.sh")
    ensure_models(names)
    t0 = time.time()
    result = {"command": "bench/bench_train.py " + " ".join(argv), "repeat": args.repeat, "epochs": args.epochs,
              "machine": {"nproc": os.cpu_count(), "cpu": cpu_model()}, "versions": versions(args.cli),
              "results": []}
    with tempfile.TemporaryDirectory(prefix="tfc-bench-train-") as tmp:
        for t in threads:
            for n in names:
                result["results"].append(measure_one(args, n, t, tmp))
    result["elapsed_s"] = time.time() - t0
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
