#!/usr/bin/env bash
# Installs what cnnp, its main job and its tests need and is missing, then builds it. Safe to run
# again: it skips what is there. Used by the README's two commands and by CI (.ci/run).
#   - Debian/Ubuntu packages, with apt-get (as root, or through sudo): the real Fashion-MNIST files,
#     Chromium (the site's browser test; its SwiftShader is the WebGPU tests' adapter), oneDNN and a
#     compiler (the native back end), Redis (the queue tests), the Vulkan loader (WebGPU). Elsewhere it says what it could not install; cnnp then downloads the data and
#     falls back to its other back ends.
#   - npm ci, when node_modules does not match package-lock.json; else npm run build.
set -euo pipefail
cd "$(dirname "$0")/.."

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "cnnp needs Node 20 or newer (found: $(node --version 2>/dev/null || echo none)); see https://nodejs.org/en/download" >&2
  exit 2
fi

packages=()
[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || packages+=(dataset-fashion-mnist)
command -v chromium >/dev/null || packages+=(chromium)
[ -f /usr/include/oneapi/dnnl/dnnl.hpp ] || packages+=(libdnnl-dev)
command -v g++ >/dev/null || packages+=(g++)
command -v make >/dev/null || packages+=(make)
command -v python3 >/dev/null || packages+=(python3)
command -v redis-server >/dev/null || packages+=(redis-server)
# The Vulkan loader the WebGPU back end (Dawn, the `webgpu` package) opens; its tests run on Chromium's SwiftShader.
ldconfig -p 2>/dev/null | grep -q "libvulkan.so.1 " || packages+=(libvulkan1)
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || command -v sudo >/dev/null; }; then
    echo "setup: installing ${packages[*]} (apt-get)"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
  else
    echo "setup: could not install ${packages[*]} (no apt-get or sudo here); install them by hand for the tests that need them" >&2
  fi
fi

# npm ci only when the installed tree is not the locked one (npm keeps its own record of it).
stamp=node_modules/.cnnp-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
else
  npm run --silent build
  # oneDNN may have arrived since the last npm ci.
  [ -f build/Release/cnnp_native.node ] || node scripts/build-native.mjs
fi
