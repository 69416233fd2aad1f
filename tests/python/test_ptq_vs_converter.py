"""`tfcompress quantize` against the TFLite converter on trained models.

For each model of fixtures/ptq (MLP, CNN and MobileNet-style net, each trained
on Fashion-MNIST and on MNIST; built by fixtures/make_ptq_models.py) and each
mode fp16, dynamic, int8, int16x8:
- the converter quantizes the Keras model (.keras); int8 and int16x8 calibrate
  on 200 samples of the data set's train split (a fixed seeded subset), fed one
  at a time;
- tfcompress quantizes the float .tflite of the same model (converted from
  the .keras on first use and cached, make_ptq_models.float_tflite()), int8
  and int16x8 on the same 200 samples (--representative, an .npz with array x);
- LiteRT evaluates both on the full 10,000-image test split.
Asserted: our file loads in LiteRT, its test accuracy is at most 0.2 points
below the converter's, and it is at most 1.02x the converter's size.

Where the converter has no int16x8 kernel for an op (HARD_SWISH) with the
int16x8 op set alone, it is run again with TFLITE_BUILTINS added, which keeps
that op float; the note column says so.

A table of all cases is printed at the end; with TFC_PTQ_REPORT=PATH it is also
written there as JSON.
"""
import json
import os
import sys
import time

import numpy as np
import pytest

from conftest import FIXTURES, run_cli

sys.path.insert(0, str(FIXTURES))
import make_ptq_models as ptq  # noqa: E402

PTQ = FIXTURES / "ptq"
ACC_TOLERANCE = 0.002  # accuracy points (0.2 %) we may lose against the converter
SIZE_RATIO = 1.02

ROWS = []
_KERAS = {}


def keras_model(name):
    if name not in _KERAS:
        path = PTQ / f"{name}.keras"
        assert path.exists(), f"{path} missing; run fixtures/make_ptq_models.py"
        _KERAS[name] = ptq.load_keras(str(path))
    return _KERAS[name]


def _fmt_acc(a):
    return "-" if a is None else f"{100 * a:.2f}"


def _fmt_size(s):
    return "-" if s is None else f"{s:,}"


@pytest.fixture(scope="module", autouse=True)
def report(request):
    yield
    if not ROWS:
        return
    rows = sorted(ROWS, key=lambda r: (ptq.MODELS.index(r["model"]), ptq.MODES.index(r["mode"])))
    lines = [f"{'model':<16} {'mode':<8} {'acc ours':>9} {'acc conv':>9} {'diff':>6} "
             f"{'size ours':>10} {'size conv':>10} {'ratio':>6}  {'t ours':>7} {'t conv':>7}  note"]
    for r in rows:
        diff = (f"{100 * (r['acc_ours'] - r['acc_converter']):+.2f}"
                if r["acc_ours"] is not None and r["acc_converter"] is not None else "-")
        ratio = (f"{r['size_ours'] / r['size_converter']:.3f}"
                 if r["size_ours"] is not None and r["size_converter"] else "-")
        t_ours = "-" if r["seconds_ours"] is None else f"{r['seconds_ours']:.2f}s"
        t_conv = "-" if r["seconds_converter"] is None else f"{r['seconds_converter']:.2f}s"
        note = "; ".join(x for x in (r["error"], r["note"]) if x)
        lines.append(f"{r['model']:<16} {r['mode']:<8} {_fmt_acc(r['acc_ours']):>9} "
                     f"{_fmt_acc(r['acc_converter']):>9} {diff:>6} {_fmt_size(r['size_ours']):>10} "
                     f"{_fmt_size(r['size_converter']):>10} {ratio:>6}  {t_ours:>7} {t_conv:>7}  {note}")
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    text = "\n".join(["", "tfcompress quantize vs the TFLite converter (test accuracy in %, sizes in bytes)",
                      *lines])
    if tr is not None:
        tr.write_line(text)
    else:
        print(text)
    path = os.environ.get("TFC_PTQ_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(rows, f, indent=1)
            f.write("\n")


@pytest.mark.parametrize("mode", ptq.MODES)
@pytest.mark.parametrize("name", ptq.MODELS)
def test_quantize_matches_the_converter(name, mode, tmp_path, cli):
    row = {"model": name, "mode": mode, "dataset": ptq.dataset_of(name), "acc_ours": None,
           "acc_converter": None, "size_ours": None, "size_converter": None,
           "seconds_ours": None, "seconds_converter": None, "error": None, "note": None}
    ROWS.append(row)
    model = keras_model(name)
    src = ptq.float_tflite(name)
    rank = ptq.input_rank(model)
    _, _, x_test, y_test = ptq.load_dataset(row["dataset"])
    x_test = ptq.as_input(x_test, rank)

    integer = mode in ("int8", "int16x8")
    rep = ptq.representative_samples(row["dataset"], rank) if integer else None
    flags = []
    if integer:
        rep_path = tmp_path / "rep.npz"
        np.savez(rep_path, x=rep)
        flags = ["--representative", rep_path]

    t0 = time.perf_counter()
    try:
        conv_buf = ptq.convert(model, mode, rep)
    except Exception as e:  # noqa: BLE001
        message = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        if mode != "int16x8" or "not yet supported" not in message:
            row["error"] = f"converter: {message[:200]}"
            raise
        # An op without an int16x8 kernel (e.g. HARD_SWISH): the converter then needs TFLITE_BUILTINS too
        # and keeps that op float; that model is the reference.
        row["note"] = f"converter with float fallback ({message[:120]})"
        conv_buf = ptq.convert(model, mode, rep, float_fallback=True)
    row["seconds_converter"] = time.perf_counter() - t0
    row["size_converter"] = len(conv_buf)
    row["acc_converter"] = ptq.litert_accuracy(conv_buf, x_test, y_test)

    out = tmp_path / f"{name}_{mode}.tflite"
    t0 = time.perf_counter()
    proc = run_cli("quantize", src, "-o", out, "--mode", mode, *flags, check=False)
    row["seconds_ours"] = time.perf_counter() - t0
    if proc.returncode != 0:
        row["error"] = f"tfcompress exited {proc.returncode}: {(proc.stderr.strip().splitlines() or [''])[-1][:200]}"
        pytest.fail(f"tfcompress quantize --mode {mode} exited {proc.returncode}:\n{proc.stderr}")
    ours_buf = out.read_bytes()
    row["size_ours"] = len(ours_buf)
    try:
        row["acc_ours"] = ptq.litert_accuracy(ours_buf, x_test, y_test)
    except Exception as e:  # noqa: BLE001 - the failure is the finding
        row["error"] = f"LiteRT: {type(e).__name__}: {str(e).strip().splitlines()[0][:200]}"
        pytest.fail(f"LiteRT cannot run our {mode} model: {e}")

    problems = []
    if row["acc_ours"] < row["acc_converter"] - ACC_TOLERANCE:
        problems.append(f"accuracy {row['acc_ours']:.4f} < converter {row['acc_converter']:.4f} - {ACC_TOLERANCE}")
    if row["size_ours"] > SIZE_RATIO * row["size_converter"]:
        problems.append(f"size {row['size_ours']} > {SIZE_RATIO} x converter {row['size_converter']}")
    row["error"] = "; ".join(problems) or None
    assert not problems, f"{name} {mode}: " + "; ".join(problems)
