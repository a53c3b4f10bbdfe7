// The report site. `cnnp site` builds it with its own outDir, base and cacheDir (see
// src/cli/commands/site.ts); the data is the report, in the file CNNP_STUDY names.
import { defineConfig } from "astro/config";

export default defineConfig({
  output: "static",
  trailingSlash: "ignore",
  build: { format: "directory" },
  devToolbar: { enabled: false },
  telemetry: false,
});
