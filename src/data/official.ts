import type { DatasetName } from "../model/index.js";
import { officialCifarChecksum } from "./cifar10.js";
import { idxSets, officialIdxChecksum } from "./idx-sets.js";

/**
 * The checksum jobs carry when the data is the official set: what `cnnp plan` and the reports
 * assume before any data is read. A folder of images has none: its jobs are found through the
 * checksum `cnnp run` recorded when it read the folder.
 */
export function officialChecksumOf(name: DatasetName): string {
  if (name === "cifar10") return officialCifarChecksum;
  if (name === "folder") return "folder: not read yet";
  return officialIdxChecksum(idxSets[name]);
}
