import type { DatasetName } from "./data.js";

/** What the checker knows of a named data set before reading it: its splits, images and classes. */
export interface NamedSet {
  /** How reports and messages name it. */
  title: string;
  train: number;
  test: number;
  /** Height, width, channels of one image. */
  input: [number, number, number];
  /** By label. */
  classNames: readonly string[];
}

const digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

export const namedSets: Record<Exclude<DatasetName, "folder">, NamedSet> = {
  fashion_mnist: {
    title: "Fashion-MNIST",
    train: 60000,
    test: 10000,
    input: [28, 28, 1],
    classNames: [
      "T-shirt/top",
      "Trouser",
      "Pullover",
      "Dress",
      "Coat",
      "Sandal",
      "Shirt",
      "Sneaker",
      "Bag",
      "Ankle boot",
    ],
  },
  mnist: { title: "MNIST", train: 60000, test: 10000, input: [28, 28, 1], classNames: digits },
  kmnist: {
    title: "Kuzushiji-MNIST",
    train: 60000,
    test: 10000,
    input: [28, 28, 1],
    // The ten hiragana of KMNIST's classmap, with their romanisation.
    classNames: [
      "o (お)",
      "ki (き)",
      "su (す)",
      "tsu (つ)",
      "na (な)",
      "ha (は)",
      "ma (ま)",
      "ya (や)",
      "re (れ)",
      "wo (を)",
    ],
  },
  cifar10: {
    title: "CIFAR-10",
    train: 50000,
    test: 10000,
    input: [32, 32, 3],
    classNames: ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
  },
};
