#!/usr/bin/env python3
"""Side-by-side inference latency and peak memory: tfcompress's runtime against
LiteRT (ai-edge-litert, its default CPU path: the XNNPACK delegate), on the
same models and the same input, at 1 and 2 threads.

For each thread count, each model and each of --repeat rounds, the two engines
run one after the other, the order alternating from round to round (so that a
slow phase of the machine hits both):
  ours:    `tfcompress eval MODEL --data X.npz --runs N --warmup W
           --max-seconds S --threads T --kernels K --int8-isa I --json -q`,
           one process (--int8-isa avx2 measures our int8 kernels as on a
           CPU without VNNI).
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

--suite production runs, instead of the models above, every graph x mode that
fixtures/make_production_graphs.py built (its manifest in --production-dir,
default .data/runtime/production/: BlazeFace-style detector, pose landmark
net, MobileNetV2, MobileNetV3-small, SSD head, U-Net segmentation, 1-D conv
audio net, text classifier; each in float32, fp16, dynamic, int8 and int16x8
where the converter makes them; the modes it could not convert are listed as
skipped with the converter's error), input: the .npz next to each file;
--models then selects graphs or graph_mode names. Per graph x mode and thread
count it also runs `tfcompress run MODEL --input X.npz --repeat P --threads T
--kernels K --profile --slowest 0` once and parses its text (`run` has no JSON
output): the kernel of every op as --profile names it ("reference" for the
reference kernels, "constant" for ops computed at load, else the fast
kernel's library) and its mean time per invoke (the first invoke included).
The table gives, per graph x mode x threads, p50 ours and LiteRT, their ratio
and peak RSS ours / LiteRT, then the geometric mean of the p50 ratios (and
of the RSS ratios) per thread count, then the ops on reference kernels per
graph x mode, by time taken. A graph x mode our runtime fails on is reported
with its error (and left out of the geometric means) instead of stopping the
suite.

Does not check outputs (tests/python does that), does not build models, and
does not pin CPUs or change the machine's settings.

Run (after scripts/setup.sh, scripts/build.sh and, for the big models,
fixtures/make_runtime_models.py or fixtures/make_production_graphs.py):
  .venv/bin/python bench/bench_runtime.py [--models a,b] [--threads 1,2] [--kernels fast|reference]
      [--repeat 3] [--json]
  .venv/bin/python bench/bench_runtime.py --suite production [--models blazeface,text_classifier_int8]
      [--threads 1,2] [--repeat 1] [--json]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
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
PRODUCTION_DIR = os.environ.get("TFC_PRODUCTION_MODELS", os.path.join(ROOT, ".data", "runtime", "production"))
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
SUITE_BIG = {"mobilenet_v2", "ssd_mobilenet"}  # production graphs with fewer runs by default
PROFILE_REPEAT = 5  # invokes of the --profile run per graph x mode x threads


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


def run_ours(cli, model, npz, threads, runs, warmup, max_seconds, kernels="fast", isa="best"):
    rss, out, err, rc = run_measured([cli, "eval", model, "--data", npz, "--runs", str(runs), "--warmup",
                                      str(warmup), "--max-seconds", str(max_seconds), "--threads", str(threads),
                                      "--kernels", kernels, "--int8-isa", isa, "--json", "-q"])
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


def production_models(directory, selection):
    """The built graph x mode files of fixtures/make_production_graphs.py's manifest in directory, selected by
    graph or graph_mode name (all when selection is empty): ({name: (model, npz, manifest entry)}, skipped)."""
    mpath = os.path.join(directory, "manifest.json")
    if not os.path.exists(mpath):
        sys.exit(f"{mpath} not found: run fixtures/make_production_graphs.py (or pass --production-dir)")
    with open(mpath) as f:
        manifest = json.load(f)
    known = {e["graph"] for e in manifest.values()} | set(manifest)
    for n in selection:
        if n not in known:
            sys.exit(f"unknown production graph {n}; built: {', '.join(sorted(known))}")
    models, skipped = {}, []
    for name, e in manifest.items():
        if selection and e["graph"] not in selection and name not in selection:
            continue
        if e["status"] != "ok":
            skipped.append({"model": name, "reason": f"the converter could not make it: {e['error']}"})
            continue
        model, npz = os.path.join(directory, e["file"]), os.path.join(directory, e["input"])
        if not (os.path.exists(model) and os.path.exists(npz)):
            skipped.append({"model": name, "reason": f"{model} or its .npz missing (run "
                                                     "fixtures/make_production_graphs.py)"})
            continue
        models[name] = (model, npz, e)
    return models, skipped


# `tfcompress run --profile` text: "kernels: F ops fast, C computed at load, R reference; ..." and, after
# "slowest ops:", one line per op: "  op INDEX OP_NAME KERNEL MS ms" (mean per invoke).
PROFILE_KERNELS = re.compile(r"^kernels: (\d+) ops fast, (\d+) computed at load, (\d+) reference")
PROFILE_OP = re.compile(r"^\s+op\s+(\d+)\s+(\S+)\s+(\S+)\s+([0-9.]+) ms$")


def parse_profile(text):
    """Per-op kernels and times of `tfcompress run --profile --slowest 0` output."""
    counts, ops = None, []
    for line in text.splitlines():
        m = PROFILE_KERNELS.match(line)
        if m:
            counts = {"fast": int(m[1]), "constant": int(m[2]), "reference": int(m[3])}
        m = PROFILE_OP.match(line)
        if m:
            ops.append({"index": int(m[1]), "op": m[2], "kernel": m[3], "ms": float(m[4])})
    if counts is None or len(ops) != sum(counts.values()):
        raise RuntimeError(f"unexpected `tfcompress run --profile` output:\n{text[-2000:]}")
    return counts, ops


def reference_ops(ops):
    """The ops on reference kernels, grouped by op type, the most time first: [{op, count, ms, share}] (ms:
    mean per invoke, share: of all ops' time)."""
    total = sum(o["ms"] for o in ops)
    by_op = {}
    for o in ops:
        if o["kernel"] == "reference":
            e = by_op.setdefault(o["op"], {"op": o["op"], "count": 0, "ms": 0.0})
            e["count"] += 1
            e["ms"] += o["ms"]
    rows = sorted(by_op.values(), key=lambda e: (-e["ms"], e["op"]))
    for e in rows:
        e["share"] = e["ms"] / total if total > 0 else 0.0
    return rows


def run_profile(cli, model, npz, threads, kernels, isa="best"):
    """Kernel per op of our runtime, from `tfcompress run --profile`: {kernels: counts, reference_ops, ops}."""
    p = subprocess.run([cli, "run", model, "--input", npz, "--repeat", str(PROFILE_REPEAT), "--threads",
                        str(threads), "--kernels", kernels, "--int8-isa", isa, "--profile", "--slowest", "0"],
                       capture_output=True, text=True, timeout=900)
    if p.returncode != 0:
        raise RuntimeError(f"tfcompress run --profile {model} exited {p.returncode}:\n{p.stderr[-4000:]}")
    counts, ops = parse_profile(p.stdout)
    return {"kernels": counts, "reference_ops": reference_ops(ops), "ops": ops}


def geomean(values):
    values = [v for v in values if v is not None and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def suite_summary(result):
    """Geometric means of the p50 and peak RSS ratios per thread count, over the rows that ran."""
    out = {}
    for t in result["threads"]:
        rows = [r for r in result["results"] if r["threads"] == t and "error" not in r]
        out[str(t)] = {"rows": len(rows), "geomean_ratio_p50": geomean([r["ratio_p50"] for r in rows]),
                       "geomean_ratio_peak_rss": geomean([r["ratio_peak_rss"] for r in rows])}
    return out


def print_suite(result):
    mib = 2 ** 20
    m = result["machine"]
    print(f"production suite: p50 latency per invoke, peak RSS per process; {result['repeat']} interleaved "
          f"round(s); {m['nproc']} CPUs, {m['cpu']}; load {m['load_before']} -> {m['load_after']}")
    print(f"ours = {result['ours_runtime']}; LiteRT = default CPU path (XNNPACK)")
    hdr = (f"{'graph':<20} {'mode':<8} {'thr':>3} {'runs':>7} {'ours p50 ms':>12} {'LiteRT p50 ms':>14} "
           f"{'ratio':>7} {'RSS MiB ours/LiteRT':>20} {'RSS ratio':>9}")
    print(hdr)
    print("-" * len(hdr))
    for r in result["results"]:
        head = f"{r['graph']:<20} {r['mode']:<8} {r['threads']:>3}"
        if "error" in r:
            lines = [ln.strip() for ln in r["error"].splitlines() if ln.strip()]
            print(f"{head} ERROR: {' '.join(lines[:2])[:240]}")
            continue
        o, lt = r["ours"], r["litert"]
        rss = f"{o['peak_rss_bytes'] / mib:.1f} / {lt['peak_rss_bytes'] / mib:.1f}"
        print(f"{head} {str(o['runs']) + '/' + str(lt['runs']):>7} {o['p50_ms']:>12.3f} {lt['p50_ms']:>14.3f} "
              f"{r['ratio_p50']:>6.2f}x {rss:>20} {r['ratio_peak_rss']:>8.2f}x")
    print()
    for t, g in result["summary"].items():
        p50 = "n/a" if g["geomean_ratio_p50"] is None else f"{g['geomean_ratio_p50']:.3f}"
        rss = "n/a" if g["geomean_ratio_peak_rss"] is None else f"{g['geomean_ratio_peak_rss']:.3f}"
        print(f"threads {t}: geometric mean of ours/LiteRT over {g['rows']} graph x mode: p50 {p50}, "
              f"peak RSS {rss}")
    print("\nops on reference kernels (tfcompress run --profile; ms per invoke, share of all ops' time):")
    for r in result["results"]:
        prof = r.get("profile")
        if prof is None:
            continue
        refs = ", ".join(f"{e['op']} x{e['count']} {e['ms']:.3f} ms ({100 * e['share']:.1f}%)"
                         for e in prof["reference_ops"]) or "none"
        print(f"  {r['graph']:<20} {r['mode']:<8} threads {r['threads']}: {refs}")
    print(f"elapsed {result['elapsed_s']:.0f} s")
    for s in result["skipped"]:
        print(f"skipped {s['model']}: {s['reason']}")


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


def ours_runtime(kernels, isa="best"):
    """What "ours" runs, for the tables and the JSON."""
    if kernels == "reference":
        return "tfcompress reference kernels (one thread at every --threads)"
    products = ("AMX, AVX-512 VNNI or AVX-VNNI where the CPU has them, else AVX2" if isa == "best"
                else f"at most {isa} (--int8-isa {isa})")
    return (f"tfcompress fast kernels (oneDNN float32; our own int8 and hybrid convolutions, products {products}; "
            "XNNPACK for other int8 ops; reference kernels for ops without a fast one) on --threads worker threads")


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


def collect_models(args, tmp, result, log):
    """{name: (model, npz, runs, warmup, graph, mode)} of the selected models; result["models"] and
    result["skipped"] filled in."""
    selection = [s for s in args.models.split(",") if s]
    if args.suite == "production":
        found, skipped = production_models(args.production_dir, selection)
        entries = {n: (model, npz, e["graph"] in SUITE_BIG, e["input_data"], e["graph"], e["mode"])
                   for n, (model, npz, e) in found.items()}
    else:
        entries, skipped = {}, []
        for n in selection or MODELS:
            model, npz, what = model_input(n, tmp)
            if model is None:
                skipped.append({"model": n, "reason": what})
            else:
                entries[n] = (model, npz, MODELS[n][1], what, None, None)
    for s in skipped:
        log(f"skip {s['model']}: {s['reason']}")
    result["skipped"] += skipped
    out = {}
    for n, (model, npz, big, what, graph, mode) in entries.items():
        runs = args.runs if args.runs is not None else DEFAULT_RUNS[big][0]
        warmup = args.warmup if args.warmup is not None else DEFAULT_RUNS[big][1]
        out[n] = (model, npz, runs, warmup, graph, mode)
        result["models"][n] = {"path": os.path.relpath(model, ROOT), "size_bytes": os.path.getsize(model),
                               "input": what, "runs_per_process": runs, "warmup_per_process": warmup}
    return out


def measure(args, env, model, npz, threads, runs, warmup):
    """--repeat interleaved rounds of both engines: the result row's measured fields."""
    ours, lite = [], []
    for i in range(args.repeat):
        for engine in (("ours", "litert") if i % 2 == 0 else ("litert", "ours")):
            if engine == "ours":
                ours.append(run_ours(args.cli, model, npz, threads, runs, warmup, args.max_seconds, args.kernels,
                                     args.int8_isa))
            else:
                lite.append(run_litert(args.python, model, npz, threads, runs, warmup, env))
    o, lt = summarize(ours), summarize(lite)
    return {"ours": o, "litert": lt, "ratio_p50": o["p50_ms"] / lt["p50_ms"],
            "ratio_peak_rss": o["peak_rss_bytes"] / lt["peak_rss_bytes"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="", help=f"comma-separated, of: {', '.join(MODELS)} (default: all); "
                                                 "with --suite production: graphs or graph_mode names")
    ap.add_argument("--suite", choices=["production"],
                    help="production: every graph x mode of fixtures/make_production_graphs.py, with the ops on "
                         "reference kernels")
    ap.add_argument("--production-dir", default=PRODUCTION_DIR,
                    help="where fixtures/make_production_graphs.py wrote the suite (its --out)")
    ap.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    ap.add_argument("--kernels", default="fast", choices=["fast", "reference"],
                    help="tfcompress eval --kernels: fast (oneDNN/XNNPACK where an op has one) or reference")
    ap.add_argument("--int8-isa", default="best", choices=["best", "avx512vnni", "avxvnni", "avx2", "scalar"],
                    help="tfcompress --int8-isa: the most our own int8 kernels may use (avx2: as on a CPU "
                         "without VNNI)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds per model and thread count")
    ap.add_argument("--runs", type=int, help="timed runs per process, all models (default: "
                    f"{DEFAULT_RUNS[False][0]}, MobileNetV2 and the SSD head {DEFAULT_RUNS[True][0]})")
    ap.add_argument("--warmup", type=int, help="untimed runs per process, all models (default: "
                    f"{DEFAULT_RUNS[False][1]}, MobileNetV2 and the SSD head {DEFAULT_RUNS[True][1]})")
    ap.add_argument("--max-seconds", type=float, default=20.0,
                    help="tfcompress eval --max-seconds: stop timing after this (at least 5 runs)")
    ap.add_argument("--cli", default=os.environ.get("TFC_CLI", os.path.join(ROOT, "build", "tfcompress")))
    ap.add_argument("--python", default=sys.executable, help="Python with ai-edge-litert, for litert_runner.py")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    ap.add_argument("--json-out", metavar="PATH", help="also write the JSON results to PATH")
    args = ap.parse_args(argv)

    if not args.suite:
        for n in [s for s in args.models.split(",") if s]:
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
              "suite": args.suite, "repeat": args.repeat, "threads": threads, "kernels": args.kernels,
              "int8_isa": args.int8_isa,
              "machine": {"nproc": os.cpu_count(), "cpu": cpu_model(), "load_before": loadavg()},
              "versions": versions(args.cli, args.python),
              "ours_runtime": ours_runtime(args.kernels, args.int8_isa),
              "litert_runtime": "ai-edge-litert Interpreter(num_threads=T), default CPU path (XNNPACK delegate)",
              "models": {}, "results": [], "skipped": []}
    floor, _, _, rc = run_measured([args.python, "-c", "import numpy; from ai_edge_litert.interpreter import "
                                    "Interpreter"], env=env)
    result["litert_process_floor_bytes"] = floor if rc == 0 else None

    with tempfile.TemporaryDirectory(prefix="tfc-bench-rt-") as tmp:
        inputs = collect_models(args, tmp, result, log)
        for t in threads:
            for n, (model, npz, runs, warmup, graph, mode) in inputs.items():
                row = {"model": n, "threads": t}
                if args.suite:
                    row.update(graph=graph, mode=mode)
                    try:  # one graph x mode our runtime (or LiteRT) fails on does not stop the suite
                        row.update(measure(args, env, model, npz, t, runs, warmup))
                        row["profile"] = run_profile(args.cli, model, npz, t, args.kernels, args.int8_isa)
                    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as e:
                        row["error"] = str(e)
                        log(f"[{time.time() - t0:6.1f}s] threads={t} {n}: ERROR {str(e).splitlines()[0]}")
                        result["results"].append(row)
                        continue
                else:
                    row.update(measure(args, env, model, npz, t, runs, warmup))
                result["results"].append(row)
                log(f"[{time.time() - t0:6.1f}s] threads={t} {n}: ours p50 {row['ours']['p50_ms']:.3f} ms, "
                    f"LiteRT p50 {row['litert']['p50_ms']:.3f} ms, ratio {row['ratio_p50']:.2f}")
    result["machine"]["load_after"] = loadavg()
    result["elapsed_s"] = time.time() - t0
    if args.suite:
        result["summary"] = suite_summary(result)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=1)
            f.write("\n")
    if args.json:
        print(json.dumps(result, indent=1))
    elif args.suite:
        print_suite(result)
    else:
        print_tables(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
