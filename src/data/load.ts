import type { DataSpec } from "../model/index.js";
import { loadCifar10 } from "./cifar10.js";
import type { Dataset, LocateOptions } from "./dataset.js";
import { loadFolder } from "./folder.js";
import { DataError } from "./idx.js";
import { idxSets, loadIdxSet } from "./idx-sets.js";

/** The data set a pipeline reads, found (or downloaded) the way its kind is: see each loader. */
export function loadDataset(
  spec: Pick<DataSpec, "name" | "folder">,
  opts: LocateOptions = {},
): Promise<Dataset> {
  switch (spec.name) {
    case "fashion_mnist":
    case "mnist":
    case "kmnist":
      return loadIdxSet(idxSets[spec.name], opts);
    case "cifar10":
      return loadCifar10(opts);
    case "folder":
      if (opts.dir)
        throw new DataError(
          `--data ${opts.dir}: this pipeline reads the image folder its data statement names (${spec.folder?.path}); change the path there`,
        );
      if (!spec.folder) throw new DataError("data folder needs the folder's path");
      return loadFolder(spec.folder);
  }
}

export type { Dataset, LocateOptions } from "./dataset.js";
export { DataError } from "./idx.js";
