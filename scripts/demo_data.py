"""Writes the first N Fashion-MNIST test images (float32 in [0,1], NHWC) and
labels to an .npz for the demo, from Debian's dataset-fashion-mnist IDX files."""
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
    args = ap.parse_args()
    x = read_idx(ROOT / "t10k-images-idx3-ubyte.gz")[: args.count].astype(np.float32) / 255.0
    y = read_idx(ROOT / "t10k-labels-idx1-ubyte.gz")[: args.count].astype(np.int64)
    np.savez(args.out, input_0=x[..., None])
    np.save(Path(args.out).with_suffix(".labels.npy"), y)


if __name__ == "__main__":
    main()
