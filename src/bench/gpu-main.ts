/**
 * The GPU check alone (`npm run bench -- gpu` without the other sections' imports), the entry
 * scripts/gpu-pack.sh bundles for a GPU machine with nothing installed.
 */
import { benchGpu } from "./gpu.js";

await benchGpu();
