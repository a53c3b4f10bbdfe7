import { homedir } from "node:os";
import { join } from "node:path";

/** cnnp's cache folder: `$XDG_CACHE_HOME/cnnp`, else `~/.cache/cnnp`. Each data set has a folder in it. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "cnnp");
}
