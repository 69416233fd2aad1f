"""Shared fixtures for the interop tests: paths, the built CLI, LiteRT helpers."""
import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CLI = Path(os.environ.get("TFC_CLI", ROOT / "build" / "tfcompress"))


def run_cli(*args, check=True):
    """Runs tfcompress; returns the CompletedProcess."""
    proc = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"tfcompress {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stderr}")
    return proc


def manifest():
    return json.loads((FIXTURES / "manifest.json").read_text())


def litert_run(model_path, inputs):
    """Runs LiteRT (default CPU path) on positional inputs; returns outputs in order."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(model_path))
    details = interp.get_input_details()
    for d, x in zip(details, inputs):
        if list(d["shape"]) != list(x.shape):
            interp.resize_tensor_input(d["index"], x.shape)
    interp.allocate_tensors()
    for d, x in zip(interp.get_input_details(), inputs):
        interp.set_tensor(d["index"], x)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def max_rel_err(ours, ref):
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    return float(np.max(np.abs(ours - ref) / np.maximum(1.0, np.abs(ref)))) if ref.size else 0.0


@pytest.fixture(scope="session")
def cli():
    assert CLI.exists(), f"{CLI} not built; run scripts/build.sh"
    return CLI
