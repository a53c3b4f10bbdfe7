#!/usr/bin/env bash
# The GPU check, on a machine with a GPU and nothing installed: unpacks what scripts/gpu-pack.sh
# packed (Node, Dawn, the data, the Vulkan loader) and runs `npm run bench -- gpu` from its bundle:
# the adapter, the host's time per step, the main model's seconds per epoch of 60,000 images (timed
# on the images packed) and the largest difference from the reference back end over 2 epochs.
# On this project's machines: `bash scripts/gpu-pack.sh` here, then, on the device,
# `bash scripts/gpu-check.sh` with .gpu carried.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d .gpu ] || { echo "gpu-check: no .gpu folder: run bash scripts/gpu-pack.sh first (and carry .gpu)" >&2; exit 2; }
if ! ldconfig -p | grep -q libvulkan.so.1; then
  for f in .gpu/gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
nvidia=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$nvidia" ] && ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  export VK_DRIVER_FILES=$nvidia
fi
t=$(mktemp -d)
mkdir -p "$t/data"
xz -dc .gpu/node.xz >"$t/node" && chmod +x "$t/node"
cp -r .gpu/node_modules "$t/"
xz -d "$t/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
for f in .gpu/data/*.xz; do xz -dc "$f" >"$t/data/$(basename "$f" .xz)"; done
cp .gpu/data/*.gz "$t/data/"
cp .gpu/check.mjs "$t/"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || true
FASHION_MNIST_DIR="$t/data" "$t/node" "$t/check.mjs" gpu
