import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import type { DataSpec } from "../model/index.js";
import { datasetChecksum } from "./checksums.js";
import type { Dataset } from "./dataset.js";
import { DataError } from "./idx.js";
import { type FolderItem, scanFolder } from "./scan.js";

type FolderSpec = NonNullable<DataSpec["folder"]>;

const loaded = new Map<string, Dataset>();

/**
 * Reads a folder of images with one subfolder per class (the checker has already listed it):
 * decodes each PNG or JPEG with sharp, resizes it to the pipeline's size (bilinear, the aspect
 * ratio not kept, as Keras' `image_dataset_from_directory` does), and converts it to greyscale or
 * RGB. Training and test images come in the checker's stable split and order. The checksum covers
 * every file's path and bytes.
 */
export async function loadFolder(f: FolderSpec): Promise<Dataset> {
  const [height, width] = f.size;
  const channels = f.channels === 1 ? 1 : 3;
  const key = `${f.resolved}\n${height}x${width}x${channels}\n${f.split}`;
  const known = loaded.get(key);
  if (known) return known;
  const scan = scanFolder(f.resolved, f.split);
  if (typeof scan === "string") throw new DataError(scan);
  const hashes: string[] = [];
  const decode = async (items: FolderItem[]) => {
    const images = new Uint8Array(items.length * height * width * channels);
    const labels = new Uint8Array(items.length);
    const each = height * width * channels;
    const step = 16;
    for (let i = 0; i < items.length; i += step) {
      await Promise.all(
        items.slice(i, i + step).map(async (item, k) => {
          const path = join(f.resolved, item.file);
          let bytes: Buffer;
          try {
            bytes = readFileSync(path);
          } catch (e) {
            throw new DataError(`${path}: cannot read (${(e as Error).message})`);
          }
          hashes[order.get(item.file) as number] =
            `${item.file} ${createHash("sha256").update(bytes).digest("hex")}`;
          let img = sharp(bytes, { failOn: "error" }).resize(width, height, { fit: "fill" }).removeAlpha();
          img = channels === 1 ? img.greyscale() : img.toColourspace("srgb");
          let out: { data: Buffer; info: sharp.OutputInfo };
          try {
            out = await img.raw().toBuffer({ resolveWithObject: true });
          } catch (e) {
            throw new DataError(
              `${path}: cannot decode (${(e as Error).message}); the image is damaged or not a PNG or JPEG`,
            );
          }
          if (out.data.length !== each)
            throw new DataError(`${path}: decoded to ${out.info.channels} channels, not ${channels}`);
          images.set(out.data, (i + k) * each);
          labels[i + k] = item.label;
        }),
      );
    }
    return { images, labels };
  };
  const all = [...scan.train, ...scan.test];
  const order = new Map(all.map((item, i) => [item.file, i]));
  const train = await decode(scan.train);
  const test = await decode(scan.test);
  const ds: Dataset = {
    name: "folder",
    trainImages: train.images,
    trainLabels: train.labels,
    testImages: test.images,
    testLabels: test.labels,
    trainCount: scan.train.length,
    testCount: scan.test.length,
    height,
    width,
    channels,
    classes: scan.classes.length,
    classNames: scan.classes,
    dir: f.resolved,
    origin: "folder",
    checksum: datasetChecksum(hashes),
    official: false,
  };
  loaded.set(key, ds);
  return ds;
}
