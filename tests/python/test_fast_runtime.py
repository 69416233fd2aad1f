"""The fast kernels (oneDNN float32; our own AVX2, XNNPACK and exact-float oneDNN int8) against
the reference kernels, through the CLI.

- Every fixture model `tfcompress run` can run, on one seeded random input:
  `--kernels fast` and `--kernels reference` give the same outputs within
  1e-4 relative (float) or one quantization step (integer outputs, and float
  outputs a DEQUANTIZE produces); the models listed in RUNTIME_REFUSES (conftest.py) must be
  refused by both kernel sets alike (exit 2, naming the op), and no other.
- `--threads 2` gives the outputs of `--threads 1`.
- `run --profile` names the kernels: oneDNN ops in the float CNN, our own
  ones in its int8 version.
- Every `--int8-conv` choice gives the same int8 outputs, bit for bit.
- Bad `--threads` / `--kernels` exit 2 with a clear message, in every command
  that takes them.
- `eval` / `baseline` record the kernels in their settings; eval adopts a
  baseline's kernels, reads a baseline without them as "reference", warns when
  the kernels differ but the baseline model is timed again, and refuses when
  its recorded latency would be compared (docs/REPORT.md).
"""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, RUNTIME_REFUSES, assert_outputs_agree, output_steps, run_cli

MODELS = sorted((FIXTURES / "models").glob("*.tflite"))
RUNNABLE = [m for m in MODELS if m.stem not in RUNTIME_REFUSES]
CNN = FIXTURES / "models" / "cnn_fmnist.tflite"
CNN_INT8 = FIXTURES / "models" / "cnn_fmnist_int8.tflite"
SEED = 20261129


def input_specs(model):
    """(name, shape, dtype) of subgraph 0's inputs, from `tfcompress inspect --json`;
    dims the model marks dynamic are taken as the shape says (1)."""
    j = json.loads(run_cli("inspect", model, "--json").stdout)
    return [(t["name"], [max(1, int(d)) for d in t["shape"]], np.dtype(t["dtype"])) for t in j["subgraphs"][0]["inputs"]]


def random_inputs(model, path):
    """A seeded random value for every input, saved as an .npz named by input tensor name."""
    rng = np.random.default_rng(SEED)
    arrays = {}
    for name, shape, dtype in input_specs(model):
        if dtype.kind == "f":
            a = rng.uniform(0, 1, shape).astype(dtype)
        elif dtype == np.bool_:
            a = rng.integers(0, 2, shape).astype(np.bool_)
        elif dtype.itemsize <= 2:  # int8, uint8, int16: quantized values, the whole range
            info = np.iinfo(dtype)
            a = rng.integers(info.min, info.max, shape, endpoint=True).astype(dtype)
        else:  # int32 / int64: counts and indices (a WHILE loop count), kept small
            a = rng.integers(0, 4, shape).astype(dtype)
        arrays[name] = a
    np.savez(path, **arrays)
    return path


def run(model, x, y, *flags, check=True):
    """`tfcompress run`; returns (the process, outputs in order or None)."""
    proc = run_cli("run", model, "--input", x, "--output", y, *flags, check=check)
    if proc.returncode != 0:
        return proc, None
    out = np.load(y)
    return proc, [out[k] for k in out.files]


@pytest.mark.parametrize("model", RUNNABLE, ids=[m.stem for m in RUNNABLE])
def test_fast_and_reference_kernels_agree(model, tmp_path):
    x = random_inputs(model, tmp_path / "x.npz")
    fast_proc, fast = run(model, x, tmp_path / "fast.npz", "--kernels", "fast", check=False)
    ref_proc, ref = run(model, x, tmp_path / "ref.npz", "--kernels", "reference", check=False)
    assert ref is not None, f"reference kernels failed:\n{ref_proc.stderr}"
    assert fast is not None, f"fast kernels failed where the reference ones ran:\n{fast_proc.stderr}"
    figures = assert_outputs_agree(fast, ref, output_steps(model), what=model.stem, min_fraction=1.0)
    print(model.stem, figures)


@pytest.mark.parametrize("name", sorted(RUNTIME_REFUSES))
def test_both_kernel_sets_refuse_alike(name, tmp_path):
    model = FIXTURES / "models" / f"{name}.tflite"
    x = random_inputs(model, tmp_path / "x.npz")
    fast_proc, _ = run(model, x, tmp_path / "fast.npz", "--kernels", "fast", check=False)
    ref_proc, _ = run(model, x, tmp_path / "ref.npz", "--kernels", "reference", check=False)
    for proc in (fast_proc, ref_proc):
        assert proc.returncode == 2 and "error:" in proc.stderr and RUNTIME_REFUSES[name] in proc.stderr, proc.stderr
    assert fast_proc.stderr == ref_proc.stderr


@pytest.mark.parametrize("name", ["cnn_fmnist", "cnn_fmnist_int8", "mobilenet_fmnist", "resnet_style",
                                  "mobilenet_fmnist_int8io"])
def test_two_threads_give_the_outputs_of_one(name, tmp_path):
    model = FIXTURES / "models" / f"{name}.tflite"
    x = random_inputs(model, tmp_path / "x.npz")
    _, one = run(model, x, tmp_path / "t1.npz", "--threads", "1")
    _, two = run(model, x, tmp_path / "t2.npz", "--threads", "2", "--repeat", "3")
    assert_outputs_agree(two, one, output_steps(model), what=name, min_fraction=1.0)


@pytest.mark.parametrize("model,library", [(CNN, "onednn"), (CNN_INT8, "own")], ids=["float", "int8"])
def test_profile_names_the_fast_kernels(model, library, tmp_path):
    x = random_inputs(model, tmp_path / "x.npz")
    out = run_cli("run", model, "--input", x, "--profile", "--repeat", "3").stdout
    lines = out.splitlines()
    kernels = [ln for ln in lines if ln.startswith("kernels:")]
    assert kernels and "ops fast" in kernels[0], out
    assert int(kernels[0].split()[1]) > 0, out
    # Rows of the per-type table and of the slowest ops name the kernel of each op.
    assert any(library in ln.split() for ln in lines), out
    ref = run_cli("run", model, "--input", x, "--profile", "--kernels", "reference").stdout
    assert "kernels: 0 ops fast" in ref and not any(library in ln.split() for ln in ref.splitlines()), ref
    # --slowest: how many ops the slowest-ops list holds (0: all of them).
    listed = lambda text: sum(1 for ln in text.splitlines() if ln.startswith("  op "))
    two = run_cli("run", model, "--input", x, "--profile", "--slowest", "2").stdout
    every = run_cli("run", model, "--input", x, "--profile", "--slowest", "0").stdout
    fast, folded, ref_ops = map(int, re.match(r"kernels: (\d+) ops fast, (\d+) computed at load, (\d+) reference",
                                           kernels[0]).groups())
    assert listed(two) == 2 and listed(every) == fast + folded + ref_ops, (two, every)


@pytest.mark.parametrize("name", ["cnn_fmnist_int8", "mobilenet_fmnist_int8io"])
def test_int8_conv_kernels_give_identical_outputs(name, tmp_path):
    model = FIXTURES / "models" / f"{name}.tflite"
    x = random_inputs(model, tmp_path / "x.npz")
    outputs = {}
    for choice in ["auto", "measured", "xnnpack", "exact-float", "own"]:
        _, outputs[choice] = run(model, x, tmp_path / f"{choice}.npz", "--int8-conv", choice, "--threads", "2")
    for choice, out in outputs.items():
        for a, b in zip(out, outputs["xnnpack"]):
            np.testing.assert_array_equal(a, b, err_msg=f"{name}: --int8-conv {choice} vs xnnpack")
    proc = run_cli("run", model, "--input", x, "--int8-conv", "bogus", check=False)
    assert proc.returncode == 2 and "--int8-conv" in proc.stderr, proc.stderr


@pytest.mark.parametrize("flags,needle", [(["--threads", "0"], "--threads"), (["--threads", "100000"], "--threads"),
                                          (["--kernels", "bogus"], "--kernels")])
def test_bad_kernels_or_threads_exit_2(flags, needle, tmp_path):
    x = random_inputs(CNN, tmp_path / "x.npz")
    np.savez(tmp_path / "val.npz", x=np.load(x)[np.load(x).files[0]], y=np.array([3]))
    commands = [["run", CNN, "--input", x],
                ["eval", CNN, "--data", tmp_path / "val.npz"],
                ["baseline", CNN, "--data", tmp_path / "val.npz", "-o", tmp_path / "b.json"]]
    if needle == "--kernels":  # commands without --threads
        commands += [["debug", CNN, CNN_INT8, "--data", tmp_path / "val.npz"],
                     ["quantize", CNN, "-o", tmp_path / "q.tflite", "--mode", "int8", "--representative",
                      tmp_path / "val.npz"]]
    for cmd in commands:
        proc = run_cli(*cmd, *flags, check=False)
        assert proc.returncode == 2, (cmd[0], proc.stderr)
        assert needle in proc.stderr and flags[1] in proc.stderr, (cmd[0], proc.stderr)
        assert "internal" not in proc.stderr.lower(), proc.stderr
    assert not (tmp_path / "b.json").exists() and not (tmp_path / "q.tflite").exists()


def test_help_teaches_kernels_and_threads():
    for cmd in ["run", "eval", "baseline", "debug", "quantize"]:
        out = run_cli(cmd, "--help").stdout
        assert "--kernels" in out and "reference" in out and "fast" in out, cmd
    for cmd in ["run", "eval", "baseline"]:
        out = run_cli(cmd, "--help").stdout
        assert "--threads" in out and "Worker threads of the fast kernels" in out, cmd


@pytest.fixture(scope="module")
def val(tmp_path_factory):
    """Eight seeded random samples with labels for the Fashion-MNIST CNN."""
    d = tmp_path_factory.mktemp("fast_eval")
    rng = np.random.default_rng(SEED)
    np.savez(d / "val.npz", x=rng.uniform(0, 1, (8, 28, 28, 1)).astype(np.float32), y=rng.integers(0, 10, 8))
    return d


QUICK = ["--runs", "3", "--warmup", "1", "-q"]


def eval_json(*args, check=True):
    proc = run_cli("eval", *args, *QUICK, "--json", check=check)
    return proc, (json.loads(proc.stdout) if proc.returncode == 0 else None)


def test_eval_records_the_kernels(val, tmp_path):
    run_cli("eval", CNN, "--data", val / "val.npz", "--kernels", "reference", "-o", tmp_path / "rep", *QUICK)
    s = json.loads((tmp_path / "rep" / "report.json").read_text())["settings"]
    assert s["kernels"] == "reference" and s["runtime"] == "reference"
    assert "reference kernels" in (tmp_path / "rep" / "report.md").read_text()
    _, r = eval_json(CNN, "--data", val / "val.npz", "--threads", "2")
    assert r["settings"]["kernels"] == "fast" and r["settings"]["threads"] == 2
    assert r["models"][0]["latency"]["threads"] == 2


def test_fast_and_reference_eval_score_alike(val):
    _, fast = eval_json(CNN_INT8, "--data", val / "val.npz")
    _, ref = eval_json(CNN_INT8, "--data", val / "val.npz", "--kernels", "reference")
    assert fast["models"][0]["metrics"]["accuracy"] == ref["models"][0]["metrics"]["accuracy"]


def _baseline(val, kernels):
    path = val / f"baseline_{kernels}.json"
    if not path.exists():
        run_cli("baseline", CNN.resolve(), "--data", val / "val.npz", "-o", path, "--kernels", kernels, *QUICK)
    return path


def _edited(val, baseline, edit, name):
    b = json.loads(baseline.read_text())
    edit(b)
    path = val / name  # beside the outputs it names
    path.write_text(json.dumps(b))
    return path


def test_eval_adopts_the_baselines_kernels(val):
    base = _baseline(val, "reference")
    assert json.loads(base.read_text())["settings"]["kernels"] == "reference"
    _, r = eval_json(CNN_INT8, "--data", val / "val.npz", "--baseline", base)
    assert r["settings"]["kernels"] == "reference"
    _, r = eval_json(CNN_INT8, "--data", val / "val.npz", "--baseline", _baseline(val, "fast"))
    assert r["settings"]["kernels"] == "fast"


def test_baseline_without_kernels_counts_as_reference(val):
    old = _edited(val, _baseline(val, "fast"), lambda b: b["settings"].pop("kernels"), "old_baseline.json")
    _, r = eval_json(CNN_INT8, "--data", val / "val.npz", "--baseline", old)
    assert r["settings"]["kernels"] == "reference"
    proc = run_cli("eval", CNN_INT8, "--data", val / "val.npz", "--baseline", old, "--runs", "3", "--warmup", "1")
    assert "reference kernels" in proc.stderr and "predates" in proc.stderr, proc.stderr


def test_other_kernels_than_the_baselines_warn_or_refuse(val):
    base = _baseline(val, "reference")
    # The baseline model is there: timed again with the kernels given, so the run goes on, with a warning.
    proc, r = eval_json(CNN_INT8, "--data", val / "val.npz", "--baseline", base, "--kernels", "fast")
    assert r["settings"]["kernels"] == "fast"
    assert "warning" in proc.stderr and "--kernels fast" in proc.stderr, proc.stderr
    assert r["baseline"]["latency"]["p50_ms"] > 0 and "recorded_latency" in r["baseline"]
    # It is not: its recorded latency would compare kernels; refused, naming the fixes.
    gone = _edited(val, base, lambda b: b["model"].update(path=str(val / "moved.tflite")), "gone_baseline.json")
    proc, _ = eval_json(CNN_INT8, "--data", val / "val.npz", "--baseline", gone, "--kernels", "fast", check=False)
    assert proc.returncode == 2, proc.stderr
    assert "--kernels reference" in proc.stderr and "record the baseline again" in proc.stderr, proc.stderr
    proc, r = eval_json(CNN_INT8, "--data", val / "val.npz", "--baseline", gone)
    assert r["settings"]["kernels"] == "reference"
    bogus = _edited(val, base, lambda b: b["settings"].update(kernels="turbo"), "bogus_baseline.json")
    proc, _ = eval_json(CNN_INT8, "--data", val / "val.npz", "--baseline", bogus, check=False)
    assert proc.returncode == 2 and "settings.kernels" in proc.stderr, proc.stderr


def test_quantize_and_debug_take_kernels(val, tmp_path):
    rep = val / "val.npz"
    for kernels in ["fast", "reference"]:
        out = tmp_path / f"int8_{kernels}.tflite"
        run_cli("quantize", CNN, "-o", out, "--mode", "int8", "--representative", rep, "--kernels", kernels, "-q")
        j = json.loads(run_cli("debug", CNN, out, "--data", rep, "--kernels", kernels, "--json").stdout)
        assert j["layers"], kernels
    a, b = (Path(tmp_path / f"int8_{k}.tflite").read_bytes() for k in ["fast", "reference"])
    assert len(a) == len(b)
    proc = run_cli("quantize", CNN, "-o", tmp_path / "fp16.tflite", "--mode", "fp16", "--kernels", "reference",
                   check=False)
    assert proc.returncode == 2 and "--kernels" in proc.stderr, proc.stderr


def test_resize_ops_match_litert(tmp_path):
    """ops_resize (RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR, up and down by non-integer ratios, with
    and without align_corners / half_pixel_centers) on our own fast kernels agrees with LiteRT within
    1e-4 relative, and `run --profile` names them."""
    from conftest import litert_run, max_rel_err

    model = FIXTURES / "models" / "ops_resize.tflite"
    x = random_inputs(model, tmp_path / "x.npz")
    proc, ours = run(model, x, tmp_path / "y.npz", "--profile", "--threads", "2")
    kernels = re.findall(r"RESIZE_\w+\s.*?\b(own|reference)\b", proc.stdout + proc.stderr)
    assert kernels.count("own") == 12, proc.stdout + proc.stderr
    ref = litert_run(model, [np.load(x)[k] for k in np.load(x).files])
    assert len(ours) == len(ref) == 12
    for o, r in zip(ours, ref):
        assert o.shape == r.shape and max_rel_err(o, r) <= 1e-4


def test_data_movement_reduction_softmax_matmul_ops_match_litert(tmp_path):
    """A float32 graph of the ops runtime/fast/movement_kernels.cc, reduce_kernels.cc, softmax_kernel.cc and
    matmul_kernel.cc take (GATHER on axis 1, PACK, UNPACK, SPLIT_V, SPLIT, TRANSPOSE, STRIDED_SLICE with a
    negative stride, CONCATENATION, MEAN / SUM / REDUCE_MAX / REDUCE_MIN over inner and outer axes, SOFTMAX,
    LOG_SOFTMAX, BATCH_MATMUL with adj_x and broadcast batch dims), converted by TFLiteConverter: on two
    threads every one of those ops runs a fast kernel (`run --profile`) and the outputs agree with LiteRT
    within 1e-4 relative."""
    tf = pytest.importorskip("tensorflow")
    from conftest import litert_run, max_rel_err

    w = np.random.default_rng(3).uniform(-1, 1, (1, 12, 7)).astype(np.float32)

    @tf.function(input_signature=[tf.TensorSpec([2, 12, 10], tf.float32, name="x")])
    def graph(x):
        g = tf.gather(x, [4, 0, 9, 9, 2], axis=2)                        # [2, 12, 5]
        a, b = tf.unstack(x, axis=0)                                     # [12, 10] each
        p = tf.stack([b, a, a * 2.0], axis=1)                            # [12, 3, 10]
        s1, s2 = tf.split(x, [3, 7], axis=2)
        h1, h2 = tf.split(x, 2, axis=1)
        t = tf.transpose(p, [2, 0, 1])                                   # [10, 12, 3]
        r = x[:, ::-2, 1:9:3]                                            # [2, 6, 3]
        c = tf.concat([s2, s1, g], axis=-1)                              # [2, 12, 15]
        m = tf.linalg.matmul(x, tf.constant(w), transpose_a=True)        # [2, 10, 7]
        return {
            "gather": g, "pack": p, "transpose": t, "slice": r, "concat": c, "half": h2 - h1,
            "mean": tf.reduce_mean(c, axis=[0, 2]), "sum": tf.reduce_sum(x, axis=1),
            "max": tf.reduce_max(p, axis=-1), "min": tf.reduce_min(x, axis=[0, 1]),
            "softmax": tf.nn.softmax(c * 3.0), "log_softmax": tf.nn.log_softmax(t), "matmul": m,
        }

    model = tmp_path / "ops.tflite"
    model.write_bytes(tf.lite.TFLiteConverter.from_concrete_functions([graph.get_concrete_function()]).convert())
    x = tmp_path / "x.npz"
    np.savez(x, x=np.random.default_rng(SEED).uniform(-2, 2, (2, 12, 10)).astype(np.float32))
    proc, ours = run(model, x, tmp_path / "y.npz", "--profile", "--threads", "2")
    profile = proc.stdout + proc.stderr
    for op in ["GATHER", "PACK", "UNPACK", "SPLIT_V", "SPLIT", "TRANSPOSE", "STRIDED_SLICE", "CONCATENATION",
               "MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "SOFTMAX", "LOG_SOFTMAX", "BATCH_MATMUL"]:
        assert re.search(rf"^{op}\s+(own|onednn)\s", profile, re.M), f"{op} not on a fast kernel:\n{profile}"
        assert not re.search(rf"^{op}\s+reference\s", profile, re.M), profile
    ref = litert_run(model, [np.load(x)["x"]])
    assert len(ours) == len(ref) == 13
    for o, r in zip(ours, ref):
        assert o.shape == r.shape and max_rel_err(o, r) <= 1e-4
