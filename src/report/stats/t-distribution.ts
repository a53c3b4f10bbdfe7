import { createRequire } from "node:module";

// stdlib's packages are CommonJS with `export =` typings.
const require = createRequire(import.meta.url);

/** The quantile function of Student's t distribution: `tQuantile(p, df)`. */
export const tQuantile =
  require("@stdlib/stats-base-dists-t-quantile") as typeof import("@stdlib/stats-base-dists-t-quantile");

/** The cumulative distribution function of Student's t distribution: `tCdf(t, df)`. */
export const tCdf =
  require("@stdlib/stats-base-dists-t-cdf") as typeof import("@stdlib/stats-base-dists-t-cdf");
