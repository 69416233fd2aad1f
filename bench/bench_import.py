#!/usr/bin/env python3
"""Import of a Keras model to TFLite: `tfcompress import` against the TFLite converter, whole process.

The model is keras.applications.MobileNetV2 (224x224x3, alpha 1.0, random weights) saved as Keras 3
`.keras` by fixtures/keras/make_keras_fixtures.py --large (built on first use into
.data/keras-fixtures/mobilenet_v2/model.keras, before anything is timed).

- **ours**: `tfcompress import model.keras -o OUT.tflite`, one process per run;
- **converter**: one Python process per run that imports TensorFlow and Keras, loads the model
  (`keras.saving.load_model`), runs `tf.lite.TFLiteConverter.from_keras_model(model).convert()` and
  writes the file.

Each run is timed from outside (wall time of the whole process, interpreter start and `import tensorflow`
included); the converter child also reports its import, load and convert times. Peak memory is the maximum
resident set size of each process alone (GNU time, as bench_quantize.py). The two alternate, --repeat
rounds; figures are medians; ratios are converter / ours. --sides converter times the converter alone
(while ours cannot import).

Run (after scripts/setup.sh and scripts/build.sh):
  .venv/bin/python bench/bench_import.py [--repeat 5] [--sides ours,converter] [--json]
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

from bench_quantize import TIME, cpu_model, require_tools, run_measured  # noqa: E402 (bench/ is on sys.path)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE_SCRIPT = os.path.join(ROOT, "fixtures", "keras", "make_keras_fixtures.py")
MODEL = os.path.join(ROOT, ".data", "keras-fixtures", "mobilenet_v2", "model.keras")
SIDES = ("ours", "converter")


def converter_child(keras_path, out_path):
    """In the child process: import TensorFlow, load the .keras, convert, write; prints timings as JSON."""
    t0 = time.perf_counter()
    import keras
    import tensorflow as tf
    t_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    model = keras.saving.load_model(keras_path)
    t_load = time.perf_counter() - t1
    t2 = time.perf_counter()
    buf = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    t_convert = time.perf_counter() - t2
    with open(out_path, "wb") as f:
        f.write(buf)
    print(json.dumps({"import_s": t_import, "load_s": t_load, "convert_s": t_convert, "size": len(buf)}))
    return 0


def ensure_model():
    if not os.path.exists(MODEL):
        subprocess.run([sys.executable, FIXTURE_SCRIPT, "--large", "--only", "mobilenet_v2"], check=True)


def run_ours(cli, out):
    wall, rss, _, err, rc = run_measured([cli, "import", MODEL, "-o", out])
    if rc != 0:
        sys.exit(f"tfcompress import exited {rc}:\n{err[-4000:]}")
    return {"wall_s": wall, "peak_rss": rss, "size": os.path.getsize(out)}


def run_converter(out):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("TF_USE_LEGACY_KERAS", None)
    wall, rss, stdout, err, rc = run_measured([sys.executable, os.path.abspath(__file__), "--converter-child",
                                               MODEL, out], env=env)
    if rc != 0:
        sys.exit(f"converter process exited {rc}:\n{err[-4000:]}")
    t = json.loads(stdout.strip().splitlines()[-1])
    return {"wall_s": wall, "peak_rss": rss, "size": t["size"], "convert_s": t["convert_s"],
            "import_s": t["import_s"], "load_s": t["load_s"]}


def summarize(runs, keys):
    return {k: statistics.median(r[k] for r in runs) for k in keys} | {"size_bytes": runs[-1]["size"], "runs": runs}


def measure(args, sides):
    runs = {s: [] for s in sides}
    with tempfile.TemporaryDirectory(prefix="tfc-bench-import-") as tmp:
        for i in range(args.repeat):
            # Alternate the two so that a slow phase of the machine hits both.
            for side in sides if i % 2 == 0 else sides[::-1]:
                out = os.path.join(tmp, f"{side}_{i}.tflite")
                runs[side].append(run_ours(args.cli, out) if side == "ours" else run_converter(out))
    result = {}
    if "ours" in runs:
        result["ours"] = summarize(runs["ours"], ["wall_s", "peak_rss"])
    if "converter" in runs:
        result["converter"] = summarize(runs["converter"], ["wall_s", "peak_rss", "import_s", "load_s",
                                                            "convert_s"])
    if len(result) == 2:
        o, c = result["ours"], result["converter"]
        result["ratio_converter_over_ours"] = {"time_process": c["wall_s"] / o["wall_s"],
                                               "peak_rss": c["peak_rss"] / o["peak_rss"]}
    return result


def print_table(result, repeat):
    mib = 2 ** 20
    o, c = result.get("ours", {}), result.get("converter", {})
    r = result.get("ratio_converter_over_ours", {})

    def cell(d, key, scale=1.0, fmt="{:>10.3f}"):
        return fmt.format(d[key] / scale if scale != 1 else d[key]) if key in d else f"{'-':>10}"

    def ratio(key):
        return f"{r[key]:>9.1f}x" if key in r else f"{'-':>10}"

    print(f"import of MobileNetV2 224x224 .keras to .tflite, median of {repeat}; {os.cpu_count()} CPUs, "
          f"{result['machine']['cpu']}")
    print(f"{'':<34} {'ours':>10} {'converter':>10} {'conv/ours':>10}")
    print(f"{'time, whole process (s)':<34} {cell(o, 'wall_s')} {cell(c, 'wall_s')} {ratio('time_process')}")
    print(f"{'  of which import tensorflow (s)':<34} {'-':>10} {cell(c, 'import_s')}")
    print(f"{'  of which load_model (s)':<34} {'-':>10} {cell(c, 'load_s')}")
    print(f"{'  of which convert() (s)':<34} {'-':>10} {cell(c, 'convert_s')}")
    print(f"{'peak RSS (MiB)':<34} {cell(o, 'peak_rss', mib, '{:>10.1f}')} {cell(c, 'peak_rss', mib, '{:>10.1f}')} "
          f"{ratio('peak_rss')}")
    print(f"{'output size (bytes)':<34} {cell(o, 'size_bytes', 1, '{:>10}')} {cell(c, 'size_bytes', 1, '{:>10}')}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sides", default="ours,converter", help="comma-separated: ours, converter")
    ap.add_argument("--cli", default=os.environ.get("TFC_CLI", os.path.join(ROOT, "build", "tfcompress")))
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    ap.add_argument("--converter-child", nargs=2, metavar=("KERAS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.converter_child:
        return converter_child(*args.converter_child)
    sides = [s for s in args.sides.split(",") if s]
    if not sides or any(s not in SIDES for s in sides):
        ap.error(f"--sides takes {', '.join(SIDES)}")
    if args.repeat < 1:
        ap.error("--repeat must be >= 1")
    if "ours" in sides:
        require_tools(args.cli)
    elif not os.path.exists(TIME):
        sys.exit(f"{TIME} not found (Debian package time); run scripts/setup.sh")
    ensure_model()
    result = measure(args, sides)
    import importlib.metadata as md
    result |= {"model": os.path.relpath(MODEL, ROOT), "repeat": args.repeat,
               "machine": {"nproc": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version(),
                           "loadavg": os.getloadavg()},
               "versions": {"tensorflow": md.version("tensorflow"), "keras": md.version("keras")}}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print_table(result, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
