import { execFileSync } from "node:child_process";
import { dirname, relative, resolve } from "node:path";

/** The version of the pipeline a result came from: its git commit, when it lives in a repository. */
export interface SourceInfo {
  /** The pipeline file as given on the command line. */
  file: string;
  git: { commit: string; dirty: boolean } | null;
}

function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      timeout: 5000,
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return null;
  }
}

/**
 * The commit of the repository holding `file`, and whether the file or others there have changes;
 * the results folder's own files (`results`), which the run itself writes, do not count.
 */
export function sourceInfo(file: string, results?: string): SourceInfo {
  const cwd = dirname(resolve(file));
  const commit = git(cwd, ["rev-parse", "HEAD"]);
  if (!commit || !/^[0-9a-f]{40,64}$/.test(commit)) return { file, git: null };
  const top = git(cwd, ["rev-parse", "--show-toplevel"]);
  const inside = results === undefined || top === null ? null : relative(top, resolve(results));
  const outside = inside && !inside.startsWith("..") ? ["--", ":/", `:(top,exclude)${inside}`] : [];
  const status = git(cwd, ["status", "--porcelain", "--untracked-files=no", ...outside]);
  return { file, git: { commit, dirty: status === null ? true : status.length > 0 } };
}
