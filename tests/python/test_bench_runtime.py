"""Smoke test of bench/bench_runtime.py: one short interleaved round on the
Fashion-MNIST CNN (fixtures/models, committed) at 1 and 2 threads, --json,
with the default fast kernels.
Checks the structure of the output, not the speed: both engines' p50 > 0,
the ratio = ours / LiteRT, peak memory > 0. Does not need the big models of
.data/runtime (only cnn_fmnist is selected)."""
import json
import subprocess
import sys

import pytest

from conftest import CLI, ROOT

BENCH = ROOT / "bench" / "bench_runtime.py"


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
