import { tf } from "../../tf.js";
import { activate } from "../load.js";
import type { Backend } from "../types.js";

/** TensorFlow.js' own cpu back end: pure JavaScript, always there. */
export const cpu: Backend = {
  name: "cpu",
  async load() {
    await activate("cpu");
    return {
      name: "cpu",
      tfjsBackend: "cpu",
      versions: { "tfjs-core": tf.version_core },
      detail: "pure JavaScript, 1 thread",
    };
  },
};
