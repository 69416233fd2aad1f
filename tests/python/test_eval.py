"""The evaluation pipeline end to end on the Fashion-MNIST CNN and the real
Fashion-MNIST test set: baseline, float16 / dynamic-range / int8 variants made
by tfcompress, one report (JSON, Markdown, HTML checked in headless Chromium),
accuracy against a separate LiteRT measurement, latency stability, gates, the
refusals, latency through a --runner command (and its failures), hand-edited
baseline and report files, float64 samples, and models eval has not seen
(measured, or refused with a reason)."""
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import CLI, FIXTURES, FMNIST_DIR, ROOT, RUNTIME_REFUSES, read_idx, run_cli

FMNIST = FMNIST_DIR
IMAGES = FMNIST / "t10k-images-idx3-ubyte.gz"
LABELS = FMNIST / "t10k-labels-idx1-ubyte.gz"
DATA = f"{IMAGES},{LABELS}"
SCALE = "0.00392156862745098"
SAMPLES = 1000
MODEL = FIXTURES / "models" / "cnn_fmnist.tflite"

pytestmark = pytest.mark.skipif(not IMAGES.exists(), reason=f"no Fashion-MNIST at {IMAGES}")


@pytest.mark.parametrize("key,figure", [
    ("max_latency_ratio", lambda m: m["latency"]["p50_ms"]),
    ("max_size_ratio", lambda m: m["size"]["raw_bytes"]),
    ("max_peak_memory_ratio", lambda m: m["memory"]["peak_rss_bytes"]),
])
def test_gate_ratio_keys_compare_with_the_baseline(pipeline, tmp_path, key, figure):
    """Each ratio key passes just above the model's figure / the baseline's and fails just below it."""
    report = pipeline["dir"] / "report" / "report.json"
    r = pipeline["report"]
    int8 = next(m for m in r["models"] if m["name"] == "int8")
    ratio = figure(int8) / figure(r["baseline"])
    for limit, code in [(ratio * 1.001, 0), (ratio * 0.999, 1)]:
        (tmp_path / "budget.json").write_text(json.dumps({key: limit}))
        proc = run_cli("gate", report, "--budget", tmp_path / "budget.json", "--model", "int8", check=False)
        assert proc.returncode == code, (key, limit, proc.stdout, proc.stderr)
        assert ("FAIL int8" if code else "PASS int8") in proc.stdout
        if code:
            assert key in proc.stdout and f"{ratio:.4g}x" in proc.stdout, proc.stdout
    # Without a baseline to compare with, the budget cannot be checked: exit 2.
    alone = _eval_quick(pipeline["variants"]["int8"], "--data", DATA, "--input-scale", SCALE, "--samples", "50",
                        "-o", tmp_path / "alone")
    proc = run_cli("gate", tmp_path / "alone" / "report.json", "--budget", tmp_path / "budget.json", check=False)
    assert proc.returncode == 2 and "baseline" in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """Runs the whole job once: variants, baseline, eval into report/."""
    d = tmp_path_factory.mktemp("eval")
    train = read_idx(FMNIST / "train-images-idx3-ubyte.gz")
    idx = np.random.default_rng(0).choice(len(train), 200, replace=False)
    np.savez(d / "rep.npz", x=train[idx].astype(np.float32)[..., None] / 255.0)
    variants = {}
    for mode in ["fp16", "dynamic", "int8"]:
        out = d / f"{mode}.tflite"
        extra = ["--representative", d / "rep.npz"] if mode == "int8" else []
        run_cli("quantize", MODEL, "-o", out, "--mode", mode, "-q", *extra)
        variants[mode] = out
    run_cli("baseline", MODEL, "--data", DATA, "--input-scale", SCALE, "--samples", SAMPLES,
            "-o", d / "baseline.json", "-q")
    proc = run_cli("eval", *variants.values(), "--data", DATA, "--baseline", d / "baseline.json",
                   "-o", d / "report", "-q")
    return {"dir": d, "variants": variants, "stdout": proc.stdout,
            "report": json.loads((d / "report" / "report.json").read_text())}


def test_writes_three_report_files(pipeline):
    rep = pipeline["dir"] / "report"
    for name in ["report.json", "report.md", "report.html"]:
        assert (rep / name).stat().st_size > 0, name
    r = pipeline["report"]
    assert r["schema"] == "tfcompress-report" and r["schema_version"] == 1
    assert [m["name"] for m in r["models"]] == ["fp16", "dynamic", "int8"]
    assert r["baseline"]["name"] == "cnn_fmnist"
    assert r["settings"]["samples"] == SAMPLES  # adopted from the baseline
    for m in r["models"]:
        assert m["metrics"]["samples"] == SAMPLES
        assert sum(map(sum, m["metrics"]["confusion"])) == SAMPLES
        lat = m["latency"]
        assert lat["runs"] >= 5 and 0 < lat["p50_ms"] <= lat["p90_ms"] <= lat["p99_ms"]
        assert m["memory"]["arena_bytes"] > 0 and m["memory"]["peak_rss_bytes"] > 0
        assert m["size"]["raw_bytes"] == Path(m["path"]).stat().st_size
        assert m["deltas"]["size_ratio"] < 0.6  # every variant is at most about half the float model
        assert m["error_vs_baseline"]["top1_agreement"] > 0.97
    md = (rep / "report.md").read_text()
    assert all(name in md for name in ["fp16", "dynamic", "int8", "cnn\\_fmnist"])
    assert len(md) < 65536  # fits a pull-request comment


def test_html_report_renders_in_chromium(pipeline, tmp_path):
    from test_report_html import check_report_html

    check_report_html(pipeline["dir"] / "report" / "report.html", tmp_path)


def test_accuracy_matches_litert(pipeline):
    from ai_edge_litert.interpreter import Interpreter

    x = read_idx(IMAGES)[:SAMPLES].astype(np.float32)[..., None] / 255.0
    y = read_idx(LABELS)[:SAMPLES]
    r = pipeline["report"]
    entries = [r["baseline"], *r["models"]]
    for m in entries:
        interp = Interpreter(model_path=m["path"])
        interp.allocate_tensors()
        inp = interp.get_input_details()[0]
        out = interp.get_output_details()[0]
        correct = 0
        for i in range(SAMPLES):
            interp.set_tensor(inp["index"], x[i : i + 1])
            interp.invoke()
            correct += int(np.argmax(interp.get_tensor(out["index"])[0]) == y[i])
        litert = correct / SAMPLES
        ours = m["metrics"]["accuracy"]
        print(f"{m['name']}: tfcompress {ours:.4f}  LiteRT {litert:.4f}")
        assert abs(ours - litert) <= 0.001, m["name"]


def test_p50_of_the_same_model_twice_is_stable(pipeline):
    """The same model measured twice in one run: p50 within 10%."""
    d = pipeline["dir"]
    int8 = pipeline["variants"]["int8"]
    r = json.loads(run_cli("eval", int8, int8, "--data", DATA, "--baseline", d / "baseline.json",
                           "--samples", SAMPLES, "--json", "-q").stdout)
    a, b = (m["latency"]["p50_ms"] for m in r["models"])
    print(f"p50 {a:.4f} ms and {b:.4f} ms: {abs(a - b) / min(a, b):.1%} apart")
    assert [m["name"] for m in r["models"]] == ["int8", "int8-2"]
    assert abs(a - b) / min(a, b) < 0.10


def test_gate_passes_and_names_each_violated_budget(pipeline, tmp_path):
    report = pipeline["dir"] / "report" / "report.json"
    r = pipeline["report"]
    int8 = next(m for m in r["models"] if m["name"] == "int8")
    ok = {"max_size_bytes": int8["size"]["raw_bytes"], "min_accuracy": 0.8, "max_accuracy_drop": 0.01,
          "max_latency_p90_ms": int8["latency"]["p90_ms"] * 2, "max_peak_memory_bytes": 2**31}
    (tmp_path / "ok.json").write_text(json.dumps(ok))
    proc = run_cli("gate", report, "--budget", tmp_path / "ok.json", "--model", "int8")
    assert "PASS int8" in proc.stdout
    for key, value in [("max_size_bytes", int8["size"]["raw_bytes"] - 1),
                       ("min_accuracy", min(1.0, int8["metrics"]["accuracy"] + 0.001)),
                       ("max_latency_p90_ms", int8["latency"]["p90_ms"] / 100),
                       ("max_peak_memory_bytes", 1000)]:
        (tmp_path / "bad.json").write_text(json.dumps({**ok, key: value}))
        proc = run_cli("gate", report, "--budget", tmp_path / "bad.json", "--model", "int8", check=False)
        assert proc.returncode == 1, key
        assert f"FAIL int8" in proc.stdout and key in proc.stdout, proc.stdout
        others = [k for k in ok if k != key and k in proc.stdout]
        assert not others, f"{key}: also named {others}"
    (tmp_path / "typo.json").write_text(json.dumps({"max_sise_bytes": 1}))
    proc = run_cli("gate", report, "--budget", tmp_path / "typo.json", check=False)
    assert proc.returncode == 2 and "max_sise_bytes" in proc.stderr
    proc = run_cli("gate", report, "--budget", tmp_path / "ok.json", "--json", "--model", "int8")
    assert json.loads(proc.stdout)["passed"] is True


def test_comparing_without_a_baseline_is_refused(pipeline):
    v = pipeline["variants"]
    proc = run_cli("eval", v["fp16"], v["int8"], "--data", DATA, "--input-scale", SCALE, check=False)
    assert proc.returncode == 2
    assert "baseline" in proc.stderr and "tfcompress baseline" in proc.stderr


def test_baseline_on_other_data_is_refused(pipeline):
    d = pipeline["dir"]
    other = f"{FMNIST / 'train-images-idx3-ubyte.gz'},{FMNIST / 'train-labels-idx1-ubyte.gz'}"
    proc = run_cli("eval", pipeline["variants"]["int8"], "--data", other, "--baseline", d / "baseline.json",
                   check=False)
    assert proc.returncode == 2 and "other data" in proc.stderr
    proc = run_cli("eval", pipeline["variants"]["int8"], "--data", DATA, "--baseline", d / "baseline.json",
                   "--samples", 10, check=False)
    assert proc.returncode == 2 and "samples" in proc.stderr
    (d / "not_baseline.json").write_text("{}")
    proc = run_cli("eval", pipeline["variants"]["int8"], "--data", DATA, "--baseline", d / "not_baseline.json",
                   check=False)
    assert proc.returncode == 2 and "not a baseline" in proc.stderr


@pytest.mark.parametrize("fmt", ["json", "benchmark_model"])
def test_runner_latency_goes_into_the_report(pipeline, fmt):
    runner = f"{ROOT / '.venv' / 'bin' / 'python'} {ROOT / 'bench' / 'litert_runner.py'} {{model}} " \
             f"--threads {{threads}} --runs 30 --format {fmt}"
    d = pipeline["dir"]
    r = json.loads(run_cli("eval", pipeline["variants"]["int8"], "--data", DATA, "--baseline", d / "baseline.json",
                           "--runner", runner, "--json", "-q").stdout)
    lat = r["models"][0]["latency"]
    assert lat["source"] == "runner" and r["settings"]["runner"] == runner
    assert lat["mean_ms"] > 0 and lat["runs"] == 30
    assert lat["runner_peak_memory_bytes"] > 0
    if fmt == "json":
        assert len(lat["samples_ms"]) == 30 and lat["p50_ms"] > 0
    proc = run_cli("eval", pipeline["variants"]["int8"], "--data", DATA, "--baseline", d / "baseline.json",
                   "--runner", "echo nothing useful {model}", check=False)
    assert proc.returncode == 2 and "no latency figures" in proc.stderr


def _eval_quick(*args, **kw):
    return run_cli("eval", *args, "--runs", 5, "--warmup", 1, "-q", **kw)


def test_runner_failures_are_clear_and_stdin_never_hangs(pipeline):
    import os

    d, int8 = pipeline["dir"], pipeline["variants"]["int8"]
    base = ["--data", DATA, "--baseline", d / "baseline.json"]
    proc = _eval_quick(int8, *base, "--runner", "echo broken; exit 3 # {model}", check=False)
    assert proc.returncode == 2 and "exit status 3" in proc.stderr and "broken" in proc.stderr
    proc = _eval_quick(int8, *base, "--runner", "true {model}", check=False)
    assert proc.returncode == 2 and "no latency figures" in proc.stderr and "(nothing)" in proc.stderr
    # A runner that reads its input gets none, even when eval's own stays open; stderr of
    # every part of the command is read.
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.run([str(CLI), "eval", int8, *map(str, base), "--runs", "5", "-q", "--json", "--runner",
                               "cat; echo '{\"latency_ms\": [1, 2, 3]}' >&2 # {model}"],
                              stdin=read_end, capture_output=True, text=True, timeout=120)
    finally:
        os.close(read_end)
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["models"][0]["latency"]["p50_ms"] == 2


@pytest.mark.parametrize("edit,ok", [
    (lambda b: b.update(schema=5), False),
    (lambda b: b["settings"].update(samples=None), False),
    (lambda b: b["settings"].update(runs="many"), False),
    (lambda b: b["settings"].update(runs=1e12), False),
    (lambda b: b["settings"].update(arithmetic="fast"), False),
    (lambda b: b["outputs"].update(file=7), False),
    (lambda b: b["model"].pop("name"), True),
    (lambda b: b["outputs"].update(names="y"), True),
    (lambda b: b.update(created_at=None), True),
    (lambda b: b["model"]["metrics"].update(per_class_accuracy=None), True),
    (lambda b: b["model"]["metrics"].update(per_class_accuracy=[None] * 10), True),
    (lambda b: b["model"].update(path=None), True),
])
def test_hand_edited_baseline_is_an_error_not_a_crash(pipeline, edit, ok):
    d = pipeline["dir"]
    b = json.loads((d / "baseline.json").read_text())
    edit(b)
    edited = d / "edited_baseline.json"  # beside the outputs it names
    edited.write_text(json.dumps(b))
    proc = _eval_quick(pipeline["variants"]["int8"], "--data", DATA, "--baseline", edited, "--json", check=False)
    assert proc.returncode == (0 if ok else 2), proc.stderr
    if ok:
        json.loads(proc.stdout)
    else:
        assert proc.stderr.strip() and "internal" not in proc.stderr.lower()


def test_gate_refuses_a_malformed_report(pipeline, tmp_path):
    r = pipeline["report"]
    (tmp_path / "budget.json").write_text(json.dumps({"min_accuracy": 0.5}))
    for edit in [lambda j: j.update(schema=5), lambda j: j["models"].append(1),
                 lambda j: j.update(models={"a": 1})]:
        bad = json.loads(json.dumps(r))
        edit(bad)
        (tmp_path / "report.json").write_text(json.dumps(bad))
        proc = run_cli("gate", tmp_path / "report.json", "--budget", tmp_path / "budget.json", check=False)
        assert proc.returncode == 2 and proc.stderr.strip(), proc.stderr
    bad = json.loads(json.dumps(r))
    bad["models"][0]["name"] = 7
    bad["models"][0]["metrics"] = "none"
    (tmp_path / "report.json").write_text(json.dumps(bad))
    proc = run_cli("gate", tmp_path / "report.json", "--budget", tmp_path / "budget.json", check=False)
    assert proc.returncode == 1 and "min_accuracy" in proc.stdout


def test_float64_samples_feed_a_float_model(tmp_path):
    x = read_idx(IMAGES)[:20].astype(np.float64)[..., None] / 255.0
    np.savez(tmp_path / "val.npz", x=x, y=read_idx(LABELS)[:20].astype(np.int64))
    r = json.loads(_eval_quick(MODEL, "--data", tmp_path / "val.npz", "--json").stdout)
    assert r["models"][0]["metrics"]["accuracy"] > 0.5


UNSEEN = ["mobilenet_fmnist_int8io", "ssd_postprocess", "facedet_fp16", "landmark_fp16", "multi_signature",
          "resnet_style", "sparse_fc", "while_loop", "custom_op", "ops_shape", "ops_int16x8"]

# One input and outputs of a fixed shape: these must be measured. facedet and
# landmark take fixed batches of 2, so the third sample is a padded batch.
MEASURED = {"mobilenet_fmnist_int8io", "ssd_postprocess", "facedet_fp16", "landmark_fp16", "resnet_style"}
# The others must be refused (exit 2), with these words.
REFUSED = {"multi_signature": "eval feeds models with one input; this one has 2",
           "sparse_fc": "eval feeds models with one input; this one has 2",
           "ops_shape": "eval feeds models with one input; this one has 4",
           "ops_int16x8": "eval feeds models with one input; this one has 3",
           **RUNTIME_REFUSES}


@pytest.mark.parametrize("name", UNSEEN)
def test_unseen_models_are_measured_or_refused(name, tmp_path):
    """Random samples shaped as each model's first input: a report (MEASURED), or exit 2 with the
    reason REFUSED names; never a crash."""
    from ai_edge_litert.interpreter import Interpreter

    path = FIXTURES / "models" / f"{name}.tflite"
    if name == "custom_op":  # LiteRT cannot load it (no Erfc kernel): any sample shape will do
        shape, dtype = [1, 4], np.float32
    else:
        detail = Interpreter(model_path=str(path)).get_input_details()[0]
        shape, dtype = [max(1, int(s)) for s in detail["shape"]], detail["dtype"]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, [3, *shape[1:]]) if np.issubdtype(dtype, np.floating) else \
        rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, [3, *shape[1:]], endpoint=True)
    np.savez(tmp_path / "val.npz", x=x.astype(dtype), y=np.arange(3) % 2)
    proc = _eval_quick(path, "--data", tmp_path / "val.npz", "--json", check=False)
    if name in MEASURED:
        assert proc.returncode == 0, proc.stderr
        m = json.loads(proc.stdout)["models"][0]
        assert m["latency"]["runs"] >= 1 and m["metrics"]["samples"] == 3
    else:
        assert proc.returncode == 2 and REFUSED[name] in proc.stderr, proc.stderr


def test_int8_isa_caps_our_int8_kernels_and_is_recorded(pipeline, tmp_path):
    """--int8-isa avx2 (as on a CPU without VNNI) changes only the time: the
    same outputs and accuracy, and the report records the cap."""
    x = read_idx(IMAGES)[:64][..., None].astype(np.float32) / 255.0
    np.savez(tmp_path / "val.npz", x=x, y=read_idx(LABELS)[:64].astype(np.int64))
    runs = {isa: json.loads(_eval_quick(pipeline["variants"]["int8"], "--data", tmp_path / "val.npz",
                                        "--int8-isa", isa, "--json").stdout) for isa in ("best", "avx2")}
    assert runs["best"]["settings"].get("int8_isa") is None
    assert runs["avx2"]["settings"]["int8_isa"] == "avx2"
    assert runs["avx2"]["models"][0]["metrics"] == runs["best"]["models"][0]["metrics"]
    proc = _eval_quick(pipeline["variants"]["int8"], "--data", tmp_path / "val.npz", "--int8-isa", "sse9",
                       check=False)
    assert proc.returncode == 2 and "int8-isa" in proc.stderr
