"""The evaluation pipeline end to end on the Fashion-MNIST CNN and the real
Fashion-MNIST test set: baseline, float16 / dynamic-range / int8 variants made
by tfcompress, one report (JSON, Markdown, HTML checked in headless Chromium),
accuracy against a separate LiteRT measurement, latency stability, gates, the
refusals, and latency through a --runner command."""
import gzip
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import CLI, FIXTURES, ROOT, run_cli

FMNIST = Path("/usr/share/datasets/fashion-mnist")
IMAGES = FMNIST / "t10k-images-idx3-ubyte.gz"
LABELS = FMNIST / "t10k-labels-idx1-ubyte.gz"
DATA = f"{IMAGES},{LABELS}"
SCALE = "0.00392156862745098"
SAMPLES = 1000
MODEL = FIXTURES / "models" / "cnn_fmnist.tflite"

pytestmark = pytest.mark.skipif(not IMAGES.exists(), reason="dataset-fashion-mnist is not installed")


def read_idx(path):
    data = gzip.open(path).read()
    ndim = data[3]
    dims = np.frombuffer(data[4 : 4 + 4 * ndim], dtype=">u4")
    return np.frombuffer(data[4 + 4 * ndim :], dtype=np.uint8).reshape(dims)


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
