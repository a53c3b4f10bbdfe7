export const datasets = ["fashion_mnist", "mnist", "kmnist", "cifar10", "folder"] as const;
export type DatasetName = (typeof datasets)[number];

/**
 * Which data, and how many images of each split (the first N). A folder of images adds where it
 * is and how its images are read; the named sets have nothing more (their job ids stay as they were).
 */
export interface DataSpec {
  name: DatasetName;
  train: number;
  test: number;
  /** `data folder "path"`: the folder as written, and as resolved from the pipeline's folder. */
  folder?: {
    path: string;
    resolved: string;
    /** Height and width the images are resized to (0 until the checker has read the folder). */
    size: [number, number];
    /** 1 (greyscale) or 3 (colour); 0 until the checker has read the folder. */
    channels: 0 | 1 | 3;
    /** The fraction held out for testing. */
    split: number;
    /** The subfolders' names, sorted: label i is classes[i]. */
    classes: string[];
  };
}
