"""A latency runner for `tfcompress eval --runner`: times a .tflite model with
LiteRT (ai-edge-litert, its default CPU path) on random inputs and prints the
timed runs, either as a JSON line {"latency_ms": [...], ...} (default) or in
the text format of LiteRT's benchmark_model tool (--format benchmark_model).

  tfcompress eval int8.tflite --data val.npz \
      --runner '.venv/bin/python bench/litert_runner.py {model} --threads {threads}'

On a device, the same place is taken by benchmark_model itself, e.g.
  --runner 'adb shell /data/local/tmp/benchmark_model --graph=/data/local/tmp/m.tflite'
(copy the model first) or through ssh to a board.
"""
import argparse
import json
import resource
import time

import numpy as np


def random_input(detail, rng):
    shape = [max(1, int(d)) for d in detail["shape"]]
    dtype = detail["dtype"]
    if np.issubdtype(dtype, np.floating):
        return rng.random(shape, dtype=np.float32).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--format", choices=["json", "benchmark_model"], default="json")
    ap.add_argument("--data", help="an .npz whose array x (batch first) holds the input: its first sample is "
                                   "fed to the (single) input instead of random values")
    args = ap.parse_args()

    from ai_edge_litert.interpreter import Interpreter

    t0 = time.perf_counter()
    interp = Interpreter(model_path=args.model, num_threads=args.threads)
    interp.allocate_tensors()
    init_ms = (time.perf_counter() - t0) * 1e3
    rng = np.random.default_rng(0)
    details = interp.get_input_details()
    if args.data:
        if len(details) != 1:
            ap.error("--data needs a model with one input")
        x = np.load(args.data)["x"][:1]
        interp.set_tensor(details[0]["index"], np.ascontiguousarray(x.reshape(details[0]["shape"]),
                                                                    dtype=details[0]["dtype"]))
    else:
        for d in details:
            interp.set_tensor(d["index"], random_input(d, rng))
    t = time.perf_counter()
    interp.invoke()
    first_ms = (time.perf_counter() - t) * 1e3
    for _ in range(args.warmup):
        interp.invoke()
    runs = []
    for _ in range(args.runs):
        t = time.perf_counter()
        interp.invoke()
        runs.append((time.perf_counter() - t) * 1e3)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if args.format == "json":
        print(json.dumps({"latency_ms": runs, "init_ms": init_ms, "first_run_ms": first_ms,
                          "warmup": args.warmup, "peak_memory_bytes": peak}))
        return
    us = np.array(runs) * 1e3
    print(f"Initialized session in {init_ms:.3f}ms.")
    print(f"count={len(us)} first={us[0]:.0f} curr={us[-1]:.0f} min={us.min():.0f} max={us.max():.0f} "
          f"avg={us.mean():.1f} std={us.std():.0f}")
    print(f"Inference timings in us: Init: {init_ms * 1e3:.0f}, First inference: {first_ms * 1e3:.0f}, "
          f"Warmup (avg): {us.mean():.1f}, Inference (avg): {us.mean():.1f}")
    print(f"Overall peak memory footprint (MB) via periodic monitoring: {peak / 2**20:.3f}")


if __name__ == "__main__":
    main()
