"""One way to read data files: the same .npz/.npy files work for `run --input`,
`quantize --representative/--validation`, `baseline --data` and `eval --data`.

Three forms of the same Fashion-MNIST samples are tried with every command:
an .npz keyed by the model's input name (labels "y"), an .npz keyed x/y, and a
single unnamed array (an .npz with NumPy's default key "arr_0", and an .npy).
Each command must give the same result from every form; an .npz that fits no
rule gets the same refusal from every command.
"""
import json

import numpy as np
import pytest

from conftest import FIXTURES, FMNIST_DIR, read_idx, run_cli

MODEL = FIXTURES / "models" / "cnn_fmnist.tflite"
SAMPLES = 60


def input_name(model):
    from ai_edge_litert.interpreter import Interpreter

    return Interpreter(model_path=str(model)).get_input_details()[0]["name"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The same samples (and labels) in each form: name -> path."""
    d = tmp_path_factory.mktemp("data_files")
    x = read_idx(FMNIST_DIR / "t10k-images-idx3-ubyte.gz")[:SAMPLES].astype(np.float32)[..., None] / 255.0
    y = read_idx(FMNIST_DIR / "t10k-labels-idx1-ubyte.gz")[:SAMPLES].astype(np.int64)
    name = input_name(MODEL)
    assert name not in ("x", "y")  # else the first two forms would be the same file
    out = {"by_input_name": d / "by_name.npz", "x_y": d / "xy.npz", "single_npz": d / "single.npz",
           "single_npy": d / "single.npy"}
    np.savez(out["by_input_name"], **{name: x, "y": y})
    np.savez(out["x_y"], x=x, y=y)
    np.savez(out["single_npz"], x)  # stored as "arr_0"
    np.save(out["single_npy"], x)
    with np.load(out["single_npz"]) as z:
        assert list(z.keys()) == ["arr_0"]
    return out


FORMS = ["by_input_name", "x_y", "single_npz", "single_npy"]


@pytest.fixture(scope="module")
def results(files, tmp_path_factory):
    """Every command on every form: form -> {command: result}."""
    d = tmp_path_factory.mktemp("results")
    out = {}
    for form in FORMS:
        path = files[form]
        r = {}
        run_cli("run", MODEL, "--input", path, "-o", d / f"{form}_run.npz")
        with np.load(d / f"{form}_run.npz") as z:
            r["run"] = [z[k] for k in z.keys()]
        q = d / f"{form}_int8.tflite"
        run_cli("quantize", MODEL, "-o", q, "--mode", "int8", "--representative", path, "--validation", path, "-q")
        r["quantize"] = q.read_bytes()
        base = d / f"{form}_baseline.json"
        run_cli("baseline", MODEL, "--data", path, "-o", base, "--runs", 5, "--warmup", 1, "-q")
        r["baseline"] = json.loads(base.read_text())
        run_cli("eval", q, "--data", path, "--baseline", base, "-o", d / f"{form}_report", "--runs", 5, "--warmup",
                1, "-q")
        r["eval"] = json.loads((d / f"{form}_report" / "report.json").read_text())
        out[form] = r
    return out


@pytest.mark.parametrize("form", FORMS[1:])
def test_every_command_reads_every_form_alike(results, form):
    first, this = results[FORMS[0]], results[form]
    for a, b in zip(first["run"], this["run"], strict=True):
        np.testing.assert_array_equal(a, b)
    assert first["quantize"] == this["quantize"]  # same representative samples: the same file
    assert this["baseline"]["model"]["metrics"]["samples"] == SAMPLES
    variant = this["eval"]["models"][0]
    assert variant["metrics"]["samples"] == SAMPLES
    assert variant["error_vs_baseline"]["top1_agreement"] == first["eval"]["models"][0]["error_vs_baseline"][
        "top1_agreement"]


def test_labels_are_read_from_y(results):
    # Forms with "y" score accuracy; the unnamed array has no labels.
    for form in ["by_input_name", "x_y"]:
        assert results[form]["baseline"]["model"]["metrics"]["accuracy"] > 0.5
        assert results[form]["eval"]["models"][0]["metrics"]["accuracy"] > 0.5
    assert (results["by_input_name"]["eval"]["models"][0]["metrics"]["accuracy"] ==
            results["x_y"]["eval"]["models"][0]["metrics"]["accuracy"])
    for form in ["single_npz", "single_npy"]:
        assert results[form]["baseline"]["model"]["metrics"]["accuracy"] is None


def test_an_npz_that_fits_no_rule_is_refused_alike_everywhere(files, tmp_path):
    x = np.load(files["x_y"])["x"]
    bad = tmp_path / "ambiguous.npz"
    np.savez(bad, a=x, b=x)
    procs = {
        "run": run_cli("run", MODEL, "--input", bad, check=False),
        "quantize": run_cli("quantize", MODEL, "-o", tmp_path / "q.tflite", "--mode", "int8", "--representative",
                            bad, check=False),
        "baseline": run_cli("baseline", MODEL, "--data", bad, "-o", tmp_path / "b.json", check=False),
        "eval": run_cli("eval", MODEL, "--data", bad, "-o", tmp_path / "r", check=False),
    }
    name = input_name(MODEL)
    for command, proc in procs.items():
        assert proc.returncode == 2, (command, proc.stderr)
        assert f"holds arrays 'a', 'b', none of which is for the model's input '{name}'" in proc.stderr, (
            command, proc.stderr)
    assert not (tmp_path / "q.tflite").exists() and not (tmp_path / "b.json").exists()
