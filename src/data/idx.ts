import { gunzipSync } from "node:zlib";

/** Thrown for a data file that is missing, truncated or not what it claims; names the file. */
export class DataError extends Error {}

/** An IDX array of unsigned bytes: `dims[0]` items of `dims[1..]` each. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** The IDX type byte of unsigned bytes, the only type Fashion-MNIST uses. */
const UBYTE = 0x08;

/**
 * Reads an IDX file's bytes, gzipped or raw: checks the magic number, the element type, the number
 * of dimensions and that the data is exactly as long as the header says.
 */
export function parseIdx(bytes: Uint8Array, file: string, expectDims?: number): IdxArray {
  let raw = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      raw = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      throw new DataError(
        `${file}: not a valid gzip file (${(e as Error).message}); delete it and fetch it again`,
      );
    }
  }
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) {
    throw new DataError(`${file}: not an IDX file (bad magic number)`);
  }
  if (raw[2] !== UBYTE) {
    throw new DataError(
      `${file}: IDX element type 0x${(raw[2] ?? 0).toString(16)} is not unsigned bytes (0x08)`,
    );
  }
  const nd = raw[3] ?? 0;
  if (expectDims !== undefined && nd !== expectDims) {
    throw new DataError(`${file}: has ${nd} dimensions, expected ${expectDims}`);
  }
  const header = 4 + 4 * nd;
  if (raw.length < header) throw new DataError(`${file}: truncated IDX header`);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < nd; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  if (raw.length - header < size) {
    throw new DataError(
      `${file}: truncated: the header promises ${size.toLocaleString("en-US")} bytes of data, the file has ${(raw.length - header).toLocaleString("en-US")}; delete it and fetch it again`,
    );
  }
  if (raw.length - header > size) {
    throw new DataError(`${file}: ${raw.length - header - size} bytes more than the header says`);
  }
  return { dims, data: raw.subarray(header) };
}

/** The header of an IDX file of unsigned bytes with these dimensions. */
export function idxHeader(dims: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  return out;
}

/** An IDX file of unsigned bytes (tests write their own small data sets with it). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const header = idxHeader(dims);
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}
