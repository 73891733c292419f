#!/usr/bin/env bash
# Installs the Debian 12 packages gradscope needs; idempotent and silent when all are present.
set -euo pipefail

packages=(
  build-essential cmake pkg-config binutils
  libdnnl-dev libhwloc-dev hwloc libbenchmark-dev libsimde-dev zlib1g-dev
  libcjson-dev libinih-dev
  libopenblas-dev libblis-dev          # peers in `gradscope bench` only
  dataset-fashion-mnist                # the real Fashion-MNIST (/usr/share/datasets/fashion-mnist)
  python3-matplotlib                   # report figures
  chromium                             # the report tests open the HTML report in headless Chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
