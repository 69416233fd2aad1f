#!/usr/bin/env python3
"""Times full int8 post-training quantization: `tfcompress quantize` against
the TFLite converter, on one model of fixtures/ptq and the same representative
samples (a fixed seeded subset of the data set's train split, as in
tests/python/test_ptq_vs_converter.py).

ours:       `tfcompress quantize MODEL.tflite -o OUT --mode int8
            --representative REP.npz`, one process per run: wall time and
            peak RSS of that process. MODEL.tflite is the float conversion
            of MODEL.keras (make_ptq_models.float_tflite(), cached under
            .data/ptq; made before the timed runs).
converter:  one Python process per run that imports TensorFlow, loads
            MODEL.keras and converts it (optimizations=[DEFAULT],
            representative_dataset yielding the samples one at a time) and
            writes the file: wall time of the conversion call itself, of the
            whole process (interpreter start, `import tensorflow`, loading,
            writing), and peak RSS of that process.
Peak RSS is the maximum resident set size of each process alone, from GNU
time (/usr/bin/time, Debian package time; scripts/setup.sh installs it).
Medians over --repeat runs; ratios are converter / ours.

Run (after scripts/setup.sh and scripts/build.sh):
  .venv/bin/python bench/bench_quantize.py [--model cnn_fmnist] [--repeat 5] [--json]
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "fixtures"))
import make_ptq_models as ptq  # noqa: E402  (numpy only at import; TensorFlow is imported in the child)


TIME = "/usr/bin/time"  # GNU time (Debian package time)


def run_measured(cmd, env=None):
    """Runs cmd under GNU time; returns (wall seconds, peak RSS bytes of that process, stdout, stderr, exit
    status). GNU time forks the command from its own small process and reports that child's maxrss: the
    rusage of a child that Python starts directly would include this Python process's own peak, which Linux
    carries over the child's exec."""
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = os.path.join(tmp, "rss")
        t0 = time.perf_counter()
        p = subprocess.run([TIME, "-f", "%M", "-o", rss_file, *cmd], capture_output=True, env=env)
        wall = time.perf_counter() - t0
        with open(rss_file) as f:
            lines = [ln for ln in f.read().splitlines() if ln.strip()]
        return (wall, int(lines[-1]) * 1024, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace"), p.returncode)


def converter_child(keras_path, rep_path, out_path):
    """In the child process: import TensorFlow, load, convert to int8, write; prints timings as JSON."""
    t0 = time.perf_counter()
    ptq._tf()
    t_import = time.perf_counter() - t0
    rep = np.load(rep_path)["x"]
    t1 = time.perf_counter()
    model = ptq.load_keras(keras_path)
    t_load = time.perf_counter() - t1
    t2 = time.perf_counter()
    buf = ptq.convert(model, "int8", rep)
    t_convert = time.perf_counter() - t2
    with open(out_path, "wb") as f:
        f.write(buf)
    print(json.dumps({"import_s": t_import, "load_s": t_load, "convert_s": t_convert, "size": len(buf)}))
    return 0


def require_tools(cli):
    """Exits with a message when GNU time or the tfcompress binary is missing."""
    if not os.path.exists(TIME):
        sys.exit(f"{TIME} not found (Debian package time); run scripts/setup.sh")
    if not os.path.exists(cli):
        sys.exit(f"{cli} not found; run scripts/build.sh (or pass --cli)")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="cnn_fmnist", help=f"one of {', '.join(ptq.MODELS)}")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--samples", type=int, default=ptq.REP_N, help="representative samples")
    ap.add_argument("--cli", default=os.environ.get("TFC_CLI", os.path.join(ROOT, "build", "tfcompress")))
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    ap.add_argument("--converter-child", nargs=3, metavar=("KERAS", "REP", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.converter_child:
        return converter_child(*args.converter_child)

    if args.model not in ptq.MODELS:
        ap.error(f"unknown model {args.model}; known: {', '.join(ptq.MODELS)}")
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    require_tools(args.cli)
    with open(os.path.join(ptq.PTQ_DIR, "manifest.json")) as f:
        entry = json.load(f)[args.model]
    tflite = str(ptq.float_tflite(args.model))  # converts on first use, before anything is timed
    keras_path = os.path.join(ptq.PTQ_DIR, entry["keras"])
    rank = len(entry["input_shape"])

    ours, conv = [], []
    with tempfile.TemporaryDirectory(prefix="tfc-bench-") as tmp:
        rep_path = os.path.join(tmp, "rep.npz")
        np.savez(rep_path, x=ptq.representative_samples(entry["dataset"], rank, n=args.samples))
        child_env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        for i in range(args.repeat):
            # Alternate the two so that a slow phase of the machine hits both.
            out = os.path.join(tmp, f"ours_{i}.tflite")
            wall, rss, _, err, rc = run_measured(
                [args.cli, "quantize", tflite, "-o", out, "--mode", "int8", "--representative", rep_path])
            if rc != 0:
                sys.exit(f"tfcompress quantize exited {rc}:\n{err}")
            ours.append({"wall_s": wall, "peak_rss": rss, "size": os.path.getsize(out)})

            out = os.path.join(tmp, f"conv_{i}.tflite")
            wall, rss, stdout, err, rc = run_measured(
                [sys.executable, os.path.abspath(__file__), "--converter-child", keras_path, rep_path, out],
                env=child_env)
            if rc != 0:
                sys.exit(f"converter process exited {rc}:\n{err[-4000:]}")
            t = json.loads(stdout.strip().splitlines()[-1])
            conv.append({"wall_s": wall, "peak_rss": rss, "size": t["size"], "convert_s": t["convert_s"],
                         "import_s": t["import_s"], "load_s": t["load_s"]})

    def med(runs, key):
        return statistics.median(r[key] for r in runs)

    try:
        version = subprocess.run([args.cli, "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        version = None
    import importlib.metadata as md
    result = {
        "model": args.model, "dataset": entry["dataset"], "samples": args.samples, "repeat": args.repeat,
        "machine": {"nproc": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version()},
        "versions": {"tfcompress": version, "tensorflow": md.version("tensorflow")},
        "ours": {"wall_s": med(ours, "wall_s"), "peak_rss_bytes": med(ours, "peak_rss"),
                 "size_bytes": ours[-1]["size"], "runs": ours},
        "converter": {"convert_s": med(conv, "convert_s"), "process_wall_s": med(conv, "wall_s"),
                      "import_tensorflow_s": med(conv, "import_s"), "load_keras_s": med(conv, "load_s"),
                      "peak_rss_bytes": med(conv, "peak_rss"), "size_bytes": conv[-1]["size"], "runs": conv},
    }
    o, c = result["ours"], result["converter"]
    result["ratio_converter_over_ours"] = {
        "time_conversion": c["convert_s"] / o["wall_s"],
        "time_process": c["process_wall_s"] / o["wall_s"],
        "peak_rss": c["peak_rss_bytes"] / o["peak_rss_bytes"],
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    r = result["ratio_converter_over_ours"]
    mib = 2 ** 20
    print(f"int8 quantization of {args.model} ({args.samples} representative samples), "
          f"median of {args.repeat}; {os.cpu_count()} CPUs, {result['machine']['cpu']}")
    print(f"{'':<34} {'ours':>10} {'converter':>10} {'conv/ours':>10}")
    print(f"{'time, conversion (s)':<34} {o['wall_s']:>10.3f} {c['convert_s']:>10.3f} {r['time_conversion']:>9.1f}x")
    print(f"{'time, whole process (s)':<34} {o['wall_s']:>10.3f} {c['process_wall_s']:>10.3f} "
          f"{r['time_process']:>9.1f}x")
    print(f"{'  of which import tensorflow (s)':<34} {'-':>10} {c['import_tensorflow_s']:>10.3f}")
    print(f"{'peak RSS (MiB)':<34} {o['peak_rss_bytes'] / mib:>10.1f} {c['peak_rss_bytes'] / mib:>10.1f} "
          f"{r['peak_rss']:>9.1f}x")
    print(f"{'output size (bytes)':<34} {o['size_bytes']:>10} {c['size_bytes']:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
