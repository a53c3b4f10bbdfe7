// Writes the first N items of an IDX file (gzipped or not) as an IDX file of its own, xz-compressed
// by the caller: real data in the real format, fewer items. Used by scripts/gpu-pack.sh.
// usage: node scripts/idx-head.mjs IN N OUT
import { readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const [input, count, output] = process.argv.slice(2);
if (!input || !count || !output) {
  process.stderr.write("usage: node scripts/idx-head.mjs IN N OUT\n");
  process.exit(2);
}
let bytes = readFileSync(input);
if (input.endsWith(".gz")) bytes = gunzipSync(bytes);
const dims = bytes[3];
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const n = Math.min(Number(count), view.getUint32(4));
let per = 1;
for (let d = 1; d < dims; d++) per *= view.getUint32(4 + 4 * d);
const header = Buffer.from(bytes.subarray(0, 4 + 4 * dims));
header.writeUInt32BE(n, 4);
writeFileSync(output, Buffer.concat([header, bytes.subarray(4 + 4 * dims, 4 + 4 * dims + n * per)]));
