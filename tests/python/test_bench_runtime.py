"""Smoke tests of bench/bench_runtime.py: one short interleaved round on the
Fashion-MNIST CNN (fixtures/models, committed) at 1 and 2 threads, --json,
with the default fast kernels; and --suite production on one small graph x
mode that fixtures/make_production_graphs.py builds into a temporary folder.
Checks the structure of the output, not the speed: both engines' p50 > 0,
the ratio = ours / LiteRT, peak memory > 0, the geometric means, the kernel
of each op. Does not need the big models of .data/runtime."""
import json
import subprocess
import sys

import pytest

from conftest import CLI, ROOT

BENCH = ROOT / "bench" / "bench_runtime.py"
PRODUCTION = ROOT / "fixtures" / "make_production_graphs.py"


def test_bench_runtime_cnn_fmnist_json(cli):
    pytest.importorskip("ai_edge_litert")
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--models", "cnn_fmnist", "--threads", "1,2", "--repeat", "1",
         "--runs", "5", "--warmup", "1", "--cli", str(CLI), "--json"],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    r = json.loads(proc.stdout)
    assert r["threads"] == [1, 2] and r["repeat"] == 1
    assert r["kernels"] == "fast" and "fast kernels" in r["ours_runtime"]
    assert r["skipped"] == []
    assert r["machine"]["nproc"] >= 1 and r["versions"]["tfcompress"]
    rows = r["results"]
    assert [(row["model"], row["threads"]) for row in rows] == [("cnn_fmnist", 1), ("cnn_fmnist", 2)]
    for row in rows:
        ours, lite = row["ours"], row["litert"]
        for e in (ours, lite):
            assert e["p50_ms"] > 0
            assert e["runs"] == 5 and len(e["rounds"]) == 1
            assert e["peak_rss_bytes"] > 0
        assert row["ratio_p50"] == pytest.approx(ours["p50_ms"] / lite["p50_ms"])
        assert row["ratio_peak_rss"] == pytest.approx(ours["peak_rss_bytes"] / lite["peak_rss_bytes"])
        assert ours["reported_peak_rss_bytes"] > 0 and ours["arena_bytes"] > 0


def test_bench_runtime_production_suite(cli, tmp_path):
    """The builder makes text_classifier_float32 (the smallest graph x mode); a second run is a no-op; the
    suite times it once at 1 thread, prints its table and writes the JSON, and lists a failed conversion of the
    manifest as skipped."""
    pytest.importorskip("tensorflow")
    pytest.importorskip("ai_edge_litert")
    build = [sys.executable, str(PRODUCTION), "--out", str(tmp_path), "--only", "text_classifier_float32"]
    proc = subprocess.run(build, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    entry = manifest["text_classifier_float32"]
    assert list(manifest) == ["text_classifier_float32"] and entry["status"] == "ok"
    assert {"GATHER", "SOFTMAX", "FULLY_CONNECTED"} <= set(entry["ops"])
    assert entry["input_dtype"] == "int32" and len(entry["file_sha256"]) == 64
    again = subprocess.run(build, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "text_classifier_float32: up to date (ok)" in again.stdout

    manifest["text_classifier_int16x8"] = {"graph": "text_classifier", "mode": "int16x8", "status": "failed",
                                           "error": "RuntimeError: not supported"}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    out = tmp_path / "suite.json"
    proc = subprocess.run(
        [sys.executable, str(BENCH), "--suite", "production", "--production-dir", str(tmp_path), "--threads", "1",
         "--repeat", "1", "--runs", "1", "--warmup", "0", "--cli", str(CLI), "--json-out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    table = proc.stdout
    for field in ("graph", "mode", "thr", "ours p50 ms", "LiteRT p50 ms", "ratio", "RSS MiB ours/LiteRT",
                  "threads 1: geometric mean of ours/LiteRT over 1 graph x mode", "ops on reference kernels"):
        assert field in table, table
    assert "text_classifier      float32    1" in table and "skipped text_classifier_int16x8" in table

    r = json.loads(out.read_text())
    assert r["suite"] == "production" and r["threads"] == [1]
    assert r["skipped"] == [{"model": "text_classifier_int16x8",
                             "reason": "the converter could not make it: RuntimeError: not supported"}]
    [row] = r["results"]
    assert (row["graph"], row["mode"], row["threads"]) == ("text_classifier", "float32", 1) and "error" not in row
    assert row["ours"]["p50_ms"] > 0 and row["litert"]["p50_ms"] > 0 and row["ours"]["runs"] == 1
    assert row["ratio_p50"] == pytest.approx(row["ours"]["p50_ms"] / row["litert"]["p50_ms"])
    assert row["ratio_peak_rss"] == pytest.approx(row["ours"]["peak_rss_bytes"] / row["litert"]["peak_rss_bytes"])
    assert r["summary"]["1"]["rows"] == 1
    assert r["summary"]["1"]["geomean_ratio_p50"] == pytest.approx(row["ratio_p50"])
    prof = row["profile"]
    assert sum(prof["kernels"].values()) == len(prof["ops"]) > 0
    refs = [o for o in prof["ops"] if o["kernel"] == "reference"]
    assert prof["kernels"]["reference"] == len(refs) == sum(e["count"] for e in prof["reference_ops"])
    assert [e["ms"] for e in prof["reference_ops"]] == sorted((e["ms"] for e in prof["reference_ops"]), reverse=True)
    assert {o["op"] for o in prof["ops"]} >= {"GATHER", "SOFTMAX", "FULLY_CONNECTED"}
