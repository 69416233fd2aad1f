#!/usr/bin/env bash
# Installs what tfcompress needs to build and test: Debian packages (only the
# missing ones) and a Python venv with the pinned peers (TensorFlow, LiteRT) used
# by the tests and benchmarks. Safe to run again: it skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  cmake ninja-build g++ pkg-config clang libclang-rt-14-dev
  flatbuffers-compiler libflatbuffers-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libzip-dev zlib1g-dev libhdf5-dev libbenchmark-dev
  dataset-fashion-mnist python3-venv
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
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
