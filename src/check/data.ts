import { dirname, resolve } from "node:path";
import { bounds } from "../bounds.js";
import { type FolderScan, scanFolder } from "../data/scan.js";
import { type Diagnostic, error, type Span, startOfFile } from "../diagnostics/diagnostic.js";
import { namedSets } from "../model/datasets.js";
import type { DataSpec, ModelSpec } from "../model/index.js";
import { grouped } from "./settings.js";

/** A data statement read against the data: the spec as trained, and what the models see. */
export interface ResolvedData {
  spec: DataSpec;
  input: ModelSpec["input"];
  classes: number;
  classNames: readonly string[];
  /** Images the data set loads into memory for a job (all of each split, whatever the slice). */
  loaded: number;
}

/** Folders already read by this check, by their resolved path and split. */
export type FolderScans = Map<string, FolderScan | string>;

/**
 * Fills in what a data statement leaves to the data. A named set's shape and classes are known; a
 * folder is read (relative to the pipeline's folder): its classes are its subfolders, its images'
 * size is the one stated or the first image's, and its train and test counts are those of the
 * stable split, or the first N of each when stated.
 */
export function resolveData(
  spec: DataSpec,
  span: Span | undefined,
  pipelineFile: string,
  scans: FolderScans,
): ResolvedData | Diagnostic {
  if (spec.name !== "folder") {
    const set = namedSets[spec.name];
    return {
      spec,
      input: set.input,
      classes: set.classNames.length,
      classNames: set.classNames,
      loaded: set.train + set.test,
    };
  }
  const f = spec.folder;
  const at = span ?? startOfFile;
  if (!f) return error("E103", at, "data folder needs the folder's path in quotes");
  const dir = resolve(dirname(pipelineFile), f.path);
  const key = `${dir}\n${f.split}`;
  let scan = scans.get(key);
  if (!scan) {
    scan = scanFolder(dir, f.split);
    scans.set(key, scan);
  }
  if (typeof scan === "string")
    return error(
      "E130",
      at,
      scan,
      "Give a folder with one subfolder of PNG or JPEG images per class; a relative path starts at the pipeline's folder.",
    );
  const size: [number, number] = f.size[0] > 0 ? f.size : [scan.first.height, scan.first.width];
  if (Math.max(...size) > bounds.imageSide || Math.min(...size) < 1)
    return error(
      "E104",
      at,
      `the images in ${f.path} are ${size[1]}x${size[0]} (${scan.first.file}); at most ${grouped(bounds.imageSide)} pixels a side can be trained`,
      `Give a size to resize them to: 'data folder "${f.path}" size 64'.`,
    );
  for (const split of ["train", "test"] as const)
    if (scan[split].length > bounds.images)
      return error(
        "E104",
        at,
        `${f.path} has ${grouped(scan[split].length)} ${split} images; at most ${grouped(bounds.images)} per split can be loaded`,
        "Use a folder with fewer images.",
      );
  const channels = f.channels || scan.first.channels;
  for (const split of ["train", "test"] as const) {
    const has = scan[split].length;
    if (spec[split] > has)
      return error("E104", at, `${f.path} has ${has} ${split} images (split ${f.split}), not ${spec[split]}`);
  }
  const resolved: DataSpec = {
    name: "folder",
    train: spec.train || scan.train.length,
    test: spec.test || scan.test.length,
    folder: { ...f, resolved: dir, size, channels, classes: scan.classes },
  };
  return {
    spec: resolved,
    input: [size[0], size[1], channels],
    classes: scan.classes.length,
    classNames: scan.classes,
    loaded: scan.train.length + scan.test.length,
  };
}

/** What makes two data statements read the same images (their slices aside). */
export function dataSource(d: DataSpec): string {
  const f = d.folder;
  return f ? `folder ${f.resolved} ${f.size.join("x")}x${f.channels} split ${f.split}` : d.name;
}

/** Diagnostic helper for a pipeline that reads more than one data set. */
export function oneDataSet(
  first: { title: string; data: DataSpec },
  other: { title: string; data: DataSpec; span: Span },
): Diagnostic {
  const what = (d: DataSpec) => (d.folder ? `the folder ${d.folder.path}` : d.name);
  return error(
    "E129",
    other.span,
    `experiment '${other.title}' reads ${what(other.data)}, but '${first.title}' reads ${what(first.data)}: a pipeline reads one data set`,
    "Put the experiments on the other data set in a pipeline of their own.",
  );
}
