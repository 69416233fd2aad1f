"""eval names the ops that ran on the runtime's reference kernels ("kernels" in
report.json) and warns, in the Markdown and HTML reports, when they take a
large share of the time: such a latency is not representative of LiteRT."""
import json

import numpy as np

from conftest import FIXTURES, run_cli


def _eval(tmp_path, model, *extra):
    data = tmp_path / "x.npz"
    np.savez(data, x=np.random.default_rng(0).random((4, 32, 32, 3), dtype=np.float32))
    out = tmp_path / "report"
    run_cli("eval", model, "--data", data, "--runs", 3, "--warmup", 1, "-q", "-o", out, *extra)
    return (json.loads((out / "report.json").read_text())["models"][0], (out / "report.md").read_text(),
            (out / "report.html").read_text())


def test_reference_kernel_ops_are_named_and_noted(tmp_path):
    # int16x8 convolutions have no fast kernel: nearly all the time is theirs.
    m, md, html = _eval(tmp_path, FIXTURES / "models" / "resnet_style_int16x8.tflite")
    k = m["kernels"]
    assert 0.5 < k["reference_share"] <= 1.0, k
    ops = [o["op"] for o in k["reference_ops"]]
    assert ops[0] == "CONV_2D", ops
    times = [o["ms_per_invoke"] for o in k["reference_ops"]]
    assert times == sorted(times, reverse=True) and all(o["count"] >= 1 for o in k["reference_ops"])
    assert "Latency not representative of LiteRT" in md and "CONV\\_2D" in md  # Markdown-escaped
    assert "data-kernel-note" in html


def test_no_note_when_the_fast_kernels_run_the_model(tmp_path):
    m, md, html = _eval(tmp_path, FIXTURES / "models" / "resnet_style.tflite")
    assert m["kernels"]["reference_share"] < 0.10, m["kernels"]
    assert "not representative" not in md and "data-kernel-note" not in html


def test_reference_kernels_asked_for_give_no_kernel_figures(tmp_path):
    m, md, _ = _eval(tmp_path, FIXTURES / "models" / "resnet_style_int16x8.tflite", "--kernels", "reference")
    assert "kernels" not in m and "not representative" not in md
