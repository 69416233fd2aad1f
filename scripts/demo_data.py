"""Writes the first N Fashion-MNIST test images (float32 in [0,1], NHWC) and
labels to an .npz for the demo, from Debian's dataset-fashion-mnist IDX files;
with --representative, a fixed random subset of N training images (array x)
for calibration instead."""
import argparse
import gzip
from pathlib import Path

import numpy as np

ROOT = Path("/usr/share/datasets/fashion-mnist")


def read_idx(path):
    data = gzip.open(path).read()
    ndim = data[3]
    dims = np.frombuffer(data[4 : 4 + 4 * ndim], dtype=">u4")
    return np.frombuffer(data[4 + 4 * ndim :], dtype=np.uint8).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--representative", action="store_true")
    args = ap.parse_args()
    if args.representative:
        x = read_idx(ROOT / "train-images-idx3-ubyte.gz")
        idx = np.random.default_rng(0).choice(len(x), args.count, replace=False)
        np.savez(args.out, x=x[idx].astype(np.float32)[..., None] / 255.0)
        return
    x = read_idx(ROOT / "t10k-images-idx3-ubyte.gz")[: args.count].astype(np.float32) / 255.0
    y = read_idx(ROOT / "t10k-labels-idx1-ubyte.gz")[: args.count].astype(np.int64)
    np.savez(args.out, input_0=x[..., None])
    np.save(Path(args.out).with_suffix(".labels.npy"), y)


if __name__ == "__main__":
    main()
