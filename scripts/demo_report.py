"""Prints the demo's report: accuracy of tfcompress's reference runtime and of
LiteRT on the same images, their agreement, the round-trip check, and the int8
model's size, accuracy and agreement (ours vs LiteRT, in quantization steps)."""
import argparse
import json
import os
from pathlib import Path

import numpy as np
from ai_edge_litert.interpreter import Interpreter


def litert(model, x):
    interp = Interpreter(model_path=model)
    d = interp.get_input_details()[0]
    interp.resize_tensor_input(d["index"], x.shape)
    interp.allocate_tensors()
    interp.set_tensor(d["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])


def output_step(model):
    """One quantization step of the model's first output: the scale of the
    integer tensor its DEQUANTIZE reads."""
    interp = Interpreter(model_path=model)
    out = interp.get_output_details()[0]["index"]
    tensors = {d["index"]: d for d in interp.get_tensor_details()}
    for op in interp._get_ops_details():
        if out in list(op["outputs"]) and op["op_name"] == "DEQUANTIZE":
            return float(tensors[int(op["inputs"][0])]["quantization_parameters"]["scales"][0])
    raise SystemExit(f"{model}: the output is not produced by DEQUANTIZE")


def first(npz):
    z = np.load(npz)
    return z[z.files[0]]


def main():
    ap = argparse.ArgumentParser()
    for a in ("--model", "--roundtrip", "--data", "--ours", "--ours-roundtrip", "--int8", "--ours-int8", "--json"):
        ap.add_argument(a, required=True)
    a = ap.parse_args()
    x = np.load(a.data)["input_0"]
    y = np.load(Path(a.data).with_suffix(".labels.npy"))
    ref = litert(a.model, x)
    ref_rt = litert(a.roundtrip, x)
    ours = first(a.ours)
    ours_rt = first(a.ours_roundtrip)
    rel = float(np.max(np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))))
    report = {
        "model": a.model,
        "samples": int(len(y)),
        "size_bytes": os.path.getsize(a.model),
        "roundtrip_size_bytes": os.path.getsize(a.roundtrip),
        "accuracy_tfcompress": float((ours.argmax(-1) == y).mean()),
        "accuracy_litert": float((ref.argmax(-1) == y).mean()),
        "top1_agreement": float((ours.argmax(-1) == ref.argmax(-1)).mean()),
        "max_rel_error_vs_litert": rel,
        "litert_bit_identical_after_roundtrip": bool(np.array_equal(ref, ref_rt)),
        "ours_identical_after_roundtrip": bool(np.array_equal(ours, ours_rt)),
    }
    q_ref = litert(a.int8, x)
    q_ours = first(a.ours_int8)
    step = output_step(a.int8)
    report.update({
        "int8_size_bytes": os.path.getsize(a.int8),
        "int8_size_ratio": os.path.getsize(a.int8) / os.path.getsize(a.model),
        "int8_accuracy_litert": float((q_ref.argmax(-1) == y).mean()),
        "int8_accuracy_tfcompress": float((q_ours.argmax(-1) == y).mean()),
        "int8_top1_agreement_with_float": float((q_ref.argmax(-1) == ref.argmax(-1)).mean()),
        "int8_within_1_step_ours_vs_litert": float(np.mean(np.abs(q_ours - q_ref) <= step * 1.001)),
    })
    Path(a.json).write_text(json.dumps(report, indent=2))
    print("== tfcompress vs LiteRT")
    width = max(map(len, report))
    for k, v in report.items():
        print(f"  {k:<{width}}  {v:.4f}" if isinstance(v, float) else f"  {k:<{width}}  {v}")
    print(f"  (written to {a.json})")


if __name__ == "__main__":
    main()
