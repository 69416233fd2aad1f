#!/usr/bin/env python3
"""Side-by-side inference latency and peak memory: tfcompress's runtime against
LiteRT (ai-edge-litert, its default CPU path: the XNNPACK delegate), on the
same models and the same input, at 1 and 2 threads.

For each thread count, each model and each of --repeat rounds, the two engines
run one after the other, the order alternating from round to round (so that a
slow phase of the machine hits both):
  ours:    `tfcompress eval MODEL --data X.npz --runs N --warmup W
           --max-seconds S --threads T --kernels K --json -q`, one process.
           With --kernels fast (the default) the runtime runs its fast
           kernels (oneDNN for float32, XNNPACK for int8 conv/depthwise/fully
           connected/add; the reference kernels for the other ops; see
           docs/RUNTIME.md) on T worker threads; with --kernels reference,
           the reference kernels only, which run on one thread whatever T.
  LiteRT:  `python bench/litert_runner.py MODEL --data X.npz --threads T
           --runs N --warmup W`, one process (Interpreter(num_threads=T)).
p50 is the median of all timed runs of an engine over all rounds (each timed
run is one invoke of the model; neither includes process start or loading).
Ratios are ours / LiteRT: below 1 means tfcompress is faster or smaller.

Peak memory is the maximum resident set size of each engine's process, from
GNU time (/usr/bin/time -f %M) around each subprocess, the same for both, the
maximum over the rounds. The LiteRT process is a Python interpreter: its peak
includes Python, numpy and the LiteRT library (the "LiteRT process floor",
measured once without a model, is in the JSON output). tfcompress's own
report is shown next to it: its peak RSS while the model ran and its arena
(activation storage).

Models (those not built are skipped, with a note):
  cnn_fmnist, cnn_fmnist_fp16   fixtures/models (committed), input: the first
                                Fashion-MNIST test image when the data set is
                                installed, else a seeded random image
  mobilenet_v2_{f32,int8,fp16}  .data/runtime (fixtures/make_runtime_models.py;
  mobilenet_v3_small_f32,       random-init weights), input: the .npz written
  resnet_style_{f32,int8}       next to each model
By default the big models (MobileNetV2) get fewer timed runs, since the
reference kernels take about half a second per run there; --runs/--warmup set
them for all models.

Does not check outputs (tests/python does that), does not build models, and
does not pin CPUs or change the machine's settings.

Run (after scripts/setup.sh, scripts/build.sh and, for the big models,
fixtures/make_runtime_models.py):
  .venv/bin/python bench/bench_runtime.py [--models a,b] [--threads 1,2] [--kernels fast|reference]
      [--repeat 3] [--json]
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

from bench_quantize import cpu_model, require_tools  # noqa: E402 (bench/ is on sys.path when run as a script)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE_MODELS = os.path.join(ROOT, "fixtures", "models")
RUNTIME_DIR = os.environ.get("TFC_RUNTIME_MODELS", os.path.join(ROOT, ".data", "runtime"))
LITERT_RUNNER = os.path.join(ROOT, "bench", "litert_runner.py")
TIME = "/usr/bin/time"  # GNU time (Debian package time)
FMNIST_TEST = os.path.join(os.environ.get("TFC_FMNIST_DIR", "/usr/share/datasets/fashion-mnist"),
                           "t10k-images-idx3-ubyte")

# name -> (directory, whether big: fewer runs by default)
MODELS = {
    "cnn_fmnist": (FIXTURE_MODELS, False),
    "cnn_fmnist_fp16": (FIXTURE_MODELS, False),
    "mobilenet_v2_f32": (RUNTIME_DIR, True),
    "mobilenet_v2_int8": (RUNTIME_DIR, True),
    "mobilenet_v2_fp16": (RUNTIME_DIR, True),
    "mobilenet_v3_small_f32": (RUNTIME_DIR, False),
    "resnet_style_f32": (RUNTIME_DIR, False),
    "resnet_style_int8": (RUNTIME_DIR, False),
}
DEFAULT_RUNS = {False: (50, 5), True: (10, 1)}  # big -> (timed runs, warmup runs) per process


def run_measured(cmd, env=None, timeout=900):
    """Runs cmd under GNU time; returns (peak RSS bytes of that process, stdout, stderr, exit status).
    GNU time forks the command from its own small process and reports that child's maxrss (the rusage of a
    child Python starts directly would carry this Python process's own peak over the exec)."""
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = os.path.join(tmp, "rss")
        p = subprocess.run([TIME, "-f", "%M", "-o", rss_file, *cmd], capture_output=True, env=env,
                           timeout=timeout)
        with open(rss_file) as f:
            lines = [ln for ln in f.read().splitlines() if ln.strip()]
        rss = int(lines[-1]) * 1024 if lines and lines[-1].strip().isdigit() else 0
        return rss, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), p.returncode


def loadavg():
    try:
        return [float(v) for v in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return None


def fmnist_image():
    """The first Fashion-MNIST test image as [1,28,28,1] float32 in [0,1], or None if not installed."""
    import gzip
    for path in (FMNIST_TEST, FMNIST_TEST + ".gz"):
        if os.path.exists(path):
            with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
                data = f.read(16 + 28 * 28)
            img = np.frombuffer(data, np.uint8, offset=16).reshape(1, 28, 28, 1)
            return img.astype(np.float32) / 255.0
    return None


def model_input(name, tmp):
    """(path of the .tflite, path of an .npz with x, what the input is) or (None, None, reason)."""
    directory, _ = MODELS[name]
    model = os.path.join(directory, f"{name}.tflite")
    if not os.path.exists(model):
        hint = "run fixtures/make_runtime_models.py" if directory == RUNTIME_DIR else "run fixtures/make_fixtures.py"
        return None, None, f"{model} not built ({hint})"
    if directory == RUNTIME_DIR:
        npz = os.path.join(directory, f"{name}.npz")
        if not os.path.exists(npz):
            return None, None, f"{npz} missing (run fixtures/make_runtime_models.py)"
        return model, npz, "random uniform [0,1) (make_runtime_models.py)"
    x = fmnist_image()
    what = "Fashion-MNIST test image 0"
    if x is None:
        x = np.random.default_rng(0).random((1, 28, 28, 1), dtype=np.float32)
        what = "random uniform [0,1), seed 0 (Fashion-MNIST not installed)"
    npz = os.path.join(tmp, f"{name}.npz")
    np.savez(npz, x=x)
    return model, npz, what


def run_ours(cli, model, npz, threads, runs, warmup, max_seconds, kernels="fast"):
    rss, out, err, rc = run_measured([cli, "eval", model, "--data", npz, "--runs", str(runs), "--warmup",
                                      str(warmup), "--max-seconds", str(max_seconds), "--threads", str(threads),
                                      "--kernels", kernels, "--json", "-q"])
    if rc != 0:
        raise RuntimeError(f"tfcompress eval {model} exited {rc}:\n{err[-4000:]}")
    m = json.loads(out)["models"][0]
    return {"samples_ms": m["latency"]["samples_ms"], "peak_rss_bytes": rss,
            "reported_peak_rss_bytes": m["memory"].get("peak_rss_bytes"),
            "reported_peak_rss_scope": m["memory"].get("peak_rss_scope"),
            "arena_bytes": m["memory"].get("arena_bytes")}


def run_litert(python, model, npz, threads, runs, warmup, env):
    rss, out, err, rc = run_measured([python, LITERT_RUNNER, model, "--data", npz, "--threads", str(threads),
                                      "--runs", str(runs), "--warmup", str(warmup)], env=env)
    if rc != 0:
        raise RuntimeError(f"litert_runner {model} exited {rc}:\n{err[-4000:]}")
    r = json.loads(out.strip().splitlines()[-1])
    return {"samples_ms": r["latency_ms"], "peak_rss_bytes": rss,
            "reported_peak_rss_bytes": r.get("peak_memory_bytes")}


def summarize(rounds):
    samples = [s for r in rounds for s in r["samples_ms"]]
    out = {"p50_ms": statistics.median(samples), "runs": len(samples),
           "min_ms": min(samples), "max_ms": max(samples),
           "peak_rss_bytes": max(r["peak_rss_bytes"] for r in rounds),
           "reported_peak_rss_bytes": max((r["reported_peak_rss_bytes"] or 0) for r in rounds)}
    if "arena_bytes" in rounds[0]:
        out["arena_bytes"] = max(r["arena_bytes"] or 0 for r in rounds)
    out["rounds"] = rounds
    return out


def versions(cli, python):
    try:
        tfc = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        tfc = None
    try:
        litert = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('ai-edge-litert'))"],
                                capture_output=True, text=True).stdout.strip() or None
    except OSError:
        litert = None
    return {"tfcompress": tfc, "ai_edge_litert": litert, "python": platform.python_version(),
            "numpy": np.__version__}


def ours_runtime(kernels):
    """What "ours" runs, for the tables and the JSON."""
    if kernels == "reference":
        return "tfcompress reference kernels (one thread at every --threads)"
    return ("tfcompress fast kernels (oneDNN float32; our own AVX2 int8 convolutions, XNNPACK for other int8 ops; reference kernels for ops without a fast one) "
            "on --threads worker threads")


def print_tables(result):
    mib = 2 ** 20
    m = result["machine"]
    print(f"p50 latency per invoke and peak RSS per process; {result['repeat']} interleaved rounds; "
          f"{m['nproc']} CPUs, {m['cpu']}; load {m['load_before']} -> {m['load_after']}")
    print(f"ours = {result['ours_runtime']}; LiteRT = default CPU path (XNNPACK)")
    for t in result["threads"]:
        rows = [r for r in result["results"] if r["threads"] == t]
        if not rows:
            continue
        print(f"\nthreads = {t}")
        hdr = (f"{'model':<20} {'runs':>7} {'p50 ours ms':>12} {'p50 LiteRT ms':>14} {'ours/LiteRT':>12} "
               f"{'peak MiB ours':>14} {'peak MiB LiteRT':>16} {'ours reported':>14} {'ours arena':>11}")
        print(hdr)
        print("-" * len(hdr))
        for r in rows:
            o, lt = r["ours"], r["litert"]
            print(f"{r['model']:<20} {str(o['runs']) + '/' + str(lt['runs']):>7} {o['p50_ms']:>12.3f} "
                  f"{lt['p50_ms']:>14.3f} {r['ratio_p50']:>11.2f}x {o['peak_rss_bytes'] / mib:>14.1f} "
                  f"{lt['peak_rss_bytes'] / mib:>16.1f} {o['reported_peak_rss_bytes'] / mib:>14.1f} "
                  f"{o['arena_bytes'] / mib:>11.2f}")
    floor = result.get("litert_process_floor_bytes")
    if floor:
        print(f"\nLiteRT process floor (Python + numpy + LiteRT imported, no model): {floor / mib:.1f} MiB")
    print(f"elapsed {result['elapsed_s']:.0f} s")
    for s in result["skipped"]:
        print(f"skipped {s['model']}: {s['reason']}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of: {', '.join(MODELS)}")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--kernels", default="fast", choices=["fast", "reference"],
                    help="tfcompress eval --kernels: fast (oneDNN/XNNPACK where an op has one) or reference")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds per model and thread count")
    ap.add_argument("--runs", type=int, help="timed runs per process, all models (default: "
                    f"{DEFAULT_RUNS[False][0]}, MobileNetV2 {DEFAULT_RUNS[True][0]})")
    ap.add_argument("--warmup", type=int, help="untimed runs per process, all models (default: "
                    f"{DEFAULT_RUNS[False][1]}, MobileNetV2 {DEFAULT_RUNS[True][1]})")
    ap.add_argument("--max-seconds", type=float, default=20.0,
                    help="tfcompress eval --max-seconds: stop timing after this (at least 5 runs)")
    ap.add_argument("--cli", default=os.environ.get("TFC_CLI", os.path.join(ROOT, "build", "tfcompress")))
    ap.add_argument("--python", default=sys.executable, help="Python with ai-edge-litert, for litert_runner.py")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    ap.add_argument("--json-out", metavar="PATH", help="also write the JSON results to PATH")
    args = ap.parse_args(argv)

    names = [s for s in args.models.split(",") if s]
    for n in names:
        if n not in MODELS:
            ap.error(f"unknown model {n}; known: {', '.join(MODELS)}")
    try:
        threads = [int(t) for t in args.threads.split(",") if t]
    except ValueError:
        ap.error("--threads: comma-separated integers")
    if not threads or min(threads) < 1:
        ap.error("--threads must be >= 1")
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    require_tools(args.cli)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))

    t0 = time.time()
    result = {"command": " ".join([os.path.relpath(sys.argv[0], ROOT) if argv is None else "bench_runtime.py",
                                   *(sys.argv[1:] if argv is None else argv)]),
              "repeat": args.repeat, "threads": threads, "kernels": args.kernels,
              "machine": {"nproc": os.cpu_count(), "cpu": cpu_model(), "load_before": loadavg()},
              "versions": versions(args.cli, args.python),
              "ours_runtime": ours_runtime(args.kernels),
              "litert_runtime": "ai-edge-litert Interpreter(num_threads=T), default CPU path (XNNPACK delegate)",
              "models": {}, "results": [], "skipped": []}
    floor, _, _, rc = run_measured([args.python, "-c", "import numpy; from ai_edge_litert.interpreter import "
                                    "Interpreter"], env=env)
    result["litert_process_floor_bytes"] = floor if rc == 0 else None

    with tempfile.TemporaryDirectory(prefix="tfc-bench-rt-") as tmp:
        inputs = {}
        for n in names:
            model, npz, what = model_input(n, tmp)
            if model is None:
                result["skipped"].append({"model": n, "reason": what})
                log(f"skip {n}: {what}")
                continue
            big = MODELS[n][1]
            runs = args.runs if args.runs is not None else DEFAULT_RUNS[big][0]
            warmup = args.warmup if args.warmup is not None else DEFAULT_RUNS[big][1]
            inputs[n] = (model, npz, runs, warmup)
            result["models"][n] = {"path": os.path.relpath(model, ROOT), "size_bytes": os.path.getsize(model),
                                   "input": what, "runs_per_process": runs, "warmup_per_process": warmup}
        for t in threads:
            for n, (model, npz, runs, warmup) in inputs.items():
                ours, lite = [], []
                for i in range(args.repeat):
                    order = ("ours", "litert") if i % 2 == 0 else ("litert", "ours")
                    for engine in order:
                        if engine == "ours":
                            ours.append(run_ours(args.cli, model, npz, t, runs, warmup, args.max_seconds,
                                                 args.kernels))
                        else:
                            lite.append(run_litert(args.python, model, npz, t, runs, warmup, env))
                o, lt = summarize(ours), summarize(lite)
                row = {"model": n, "threads": t, "ours": o, "litert": lt,
                       "ratio_p50": o["p50_ms"] / lt["p50_ms"],
                       "ratio_peak_rss": o["peak_rss_bytes"] / lt["peak_rss_bytes"]}
                result["results"].append(row)
                log(f"[{time.time() - t0:6.1f}s] threads={t} {n}: ours p50 {o['p50_ms']:.3f} ms, "
                    f"LiteRT p50 {lt['p50_ms']:.3f} ms, ratio {row['ratio_p50']:.2f}")
    result["machine"]["load_after"] = loadavg()
    result["elapsed_s"] = time.time() - t0
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_tables(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
