import { createHash } from "node:crypto";
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { extname, join } from "node:path";

/** One image of a folder data set: its path below the folder, its class, and its split. */
export interface FolderItem {
  file: string;
  label: number;
  test: boolean;
  /** Where it comes in its split's order (a hash of its path: stable, and mixed across classes). */
  order: string;
}

export interface FolderScan {
  /** The subfolders' names, sorted: label i is classes[i]. */
  classes: string[];
  /** Training images, then test images, each in their stable order. */
  train: FolderItem[];
  test: FolderItem[];
  /** The first image's height, width and channels (1 for greyscale, else 3). */
  first: { height: number; width: number; channels: 1 | 3; file: string };
}

const imageTypes = new Set([".png", ".jpg", ".jpeg"]);

/**
 * Lists a folder of images with one subfolder per class, as Keras' `image_dataset_from_directory`
 * reads it, and splits it: an image is held out for testing when the hash of its path falls below
 * `split`, so the split is the same on every run and machine and an added image moves no other.
 * Reads only the first image's header. Returns the reason when the folder cannot serve.
 */
export function scanFolder(dir: string, split: number): FolderScan | string {
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? `${dir}: no such folder` : `${dir}: cannot read (${(e as Error).message})`;
  }
  const classes = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
  if (classes.length < 2)
    return `${dir} has ${classes.length === 0 ? "no subfolders" : `one subfolder (${classes[0]})`}: it needs one subfolder of images per class, at least two`;
  const items: FolderItem[] = [];
  for (const [label, name] of classes.entries()) {
    const files = readdirSync(join(dir, name))
      .filter((f) => imageTypes.has(extname(f).toLowerCase()))
      .sort();
    if (files.length === 0) return `${join(dir, name)} has no PNG or JPEG images`;
    for (const f of files) {
      const file = `${name}/${f}`;
      const h = createHash("sha256").update(file).digest();
      items.push({ file, label, test: h.readUInt32BE(0) / 2 ** 32 < split, order: h.toString("hex") });
    }
  }
  const byOrder = (a: FolderItem, b: FolderItem) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0);
  const train = items.filter((i) => !i.test).sort(byOrder);
  const test = items.filter((i) => i.test).sort(byOrder);
  if (train.length === 0 || test.length === 0)
    return `${dir}: the split ${split} leaves no ${train.length === 0 ? "training" : "test"} images of ${items.length}`;
  const firstFile = items[0]?.file as string;
  const header = imageHeader(join(dir, firstFile));
  if (typeof header === "string") return header;
  return { classes, train, test, first: { ...header, file: firstFile } };
}

/** Height, width and channels from a PNG's or a JPEG's header, or why they cannot be read. */
export function imageHeader(path: string): { height: number; width: number; channels: 1 | 3 } | string {
  const buf = Buffer.alloc(Math.min(65536, statSize(path)));
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    readSync(fd, buf, 0, buf.length, 0);
  } catch (e) {
    return `${path}: cannot read (${(e as Error).message})`;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (buf.length >= 26 && buf.readUInt32BE(0) === 0x89504e47 && buf.toString("ascii", 12, 16) === "IHDR") {
    const colour = buf[25] as number;
    return {
      width: buf.readUInt32BE(16),
      height: buf.readUInt32BE(20),
      channels: colour === 0 || colour === 4 ? 1 : 3,
    };
  }
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    let at = 2;
    while (at + 9 < buf.length) {
      if (buf[at] !== 0xff) break;
      const marker = buf[at + 1] as number;
      const length = buf.readUInt16BE(at + 2);
      // Start of frame: any SOFn but DHT (c4), JPG (c8) and DAC (cc).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
        return {
          height: buf.readUInt16BE(at + 5),
          width: buf.readUInt16BE(at + 7),
          channels: buf[at + 9] === 1 ? 1 : 3,
        };
      at += 2 + length;
    }
    return `${path}: a JPEG whose size could not be found in its first 64 KiB`;
  }
  return `${path}: not a PNG or JPEG image`;
}

function statSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
