import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
} from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { writeFileAtomic } from "./atomic-write.js";

/**
 * A folder cnnp writes whole and may replace (the site's `--out`): it holds a marker file listing
 * every file cnnp put there, and cnnp replaces it only while it holds nothing else. Nothing a user
 * wrote is ever deleted: a folder with any other file is refused, and so is a folder that holds
 * (or is) the pipeline or the results.
 */
export const markerName = ".cnnp-site.json";

/** `--out` cannot be used: the message names the path and what to do. */
export class OwnedFolderError extends Error {}

interface Marker {
  tool: "cnnp";
  what: string;
  files: string[];
}

/** Every file under `dir`, relative to it, with `/` separators; folders are implied by their files. */
function filesUnder(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      const inner = filesUnder(join(dir, e.name), rel);
      // An empty folder is something cnnp did not write (it writes none).
      out.push(...(inner.length ? inner : [`${rel}/`]));
    } else out.push(rel);
  }
  return out;
}

function readMarker(dir: string): Marker | undefined {
  try {
    const m = JSON.parse(readFileSync(join(dir, markerName), "utf8")) as Partial<Marker>;
    if (m.tool === "cnnp" && Array.isArray(m.files) && m.files.every((f) => typeof f === "string"))
      return m as Marker;
  } catch {
    // Absent or unreadable: not cnnp's.
  }
  return undefined;
}

/** Whether `inner` is `outer` or lies inside it. */
function within(inner: string, outer: string): boolean {
  const r = relative(outer, inner);
  return r === "" || (r !== ".." && !r.startsWith(`..${sep}`) && !isAbsolute(r));
}

/**
 * Refuses `out` unless cnnp may replace it: a new or empty folder, or one whose every file is
 * listed in its marker; never one that is, or holds, any of `keep` (the pipeline's folder, the
 * results folder). Throws OwnedFolderError saying why and what to do.
 */
export function checkOwned(out: string, keep: { path: string; what: string }[]): void {
  const target = resolve(out);
  for (const k of keep) {
    const p = resolve(k.path);
    if (within(p, target))
      throw new OwnedFolderError(
        `${out}: --out ${target === p ? "is" : "holds"} ${k.what} (${p}); cnnp replaces the whole --out folder, so give it a folder of its own, e.g. --out site-out`,
      );
  }
  if (!existsSync(target)) return;
  const stat = lstatSync(target);
  if (!stat.isDirectory())
    throw new OwnedFolderError(
      `${out}: --out is not a folder; give a new or empty folder, e.g. --out site-out`,
    );
  const files = filesUnder(target);
  if (files.length === 0) return;
  const marker = readMarker(target);
  if (!marker)
    throw new OwnedFolderError(
      `${out}: --out holds files cnnp did not write (${files.slice(0, 3).join(", ")}${files.length > 3 ? ", ..." : ""}); cnnp writes only into a new or empty folder, or one it built before: choose another --out`,
    );
  const listed = new Set([...marker.files, markerName]);
  const foreign = files.filter((f) => !listed.has(f));
  if (foreign.length)
    throw new OwnedFolderError(
      `${out}: --out holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ""}, which cnnp did not write; move ${foreign.length === 1 ? "it" : "them"} away or choose another --out (cnnp never deletes what it did not write)`,
    );
}

/** Removes the folders under `dir`, and `dir`, that are empty; a folder holding anything stays. */
function pruneEmpty(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true }))
    if (e.isDirectory() && !e.isSymbolicLink()) pruneEmpty(join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch {
    // Not empty: something cnnp did not write is in it.
  }
}

/**
 * Removes an old copy of an owned folder file by file: only the files its marker lists (inside
 * it) and the marker, then the folders that leaves empty. A file added since it was checked stays,
 * and so does the folder holding it, whose path is returned (null when all of it went).
 */
function removeOwned(dir: string): string | null {
  const listed = [...(readMarker(dir)?.files ?? []), markerName];
  for (const f of listed) {
    const p = resolve(dir, f);
    if (p === dir || !within(p, dir)) continue;
    try {
      if (!lstatSync(p).isDirectory()) rmSync(p, { force: true });
    } catch {
      // Gone already.
    }
  }
  pruneEmpty(dir);
  return existsSync(dir) ? dir : null;
}

/**
 * Puts a copy of the folder `built` (already complete) in place of `out`: copies it beside `out`
 * (same file system, so renames are atomic), marks it with the list of its files, swaps the two
 * by renames, then removes the old one's files that its marker lists. At every moment `out` is
 * the old site whole or the new one whole (or, between two renames, absent). Returns the path of
 * the old copy when it kept a file cnnp did not write (added after `checkOwned` looked), else null.
 */
export function replaceOwned(built: string, out: string, what: string): string | null {
  const target = resolve(out);
  const stamp = `${process.pid}.${Date.now()}`;
  const fresh = join(dirname(target), `.${basename(target)}.cnnp-new.${stamp}`);
  const old = join(dirname(target), `.${basename(target)}.cnnp-old.${stamp}`);
  mkdirSync(dirname(target), { recursive: true });
  try {
    cpSync(built, fresh, { recursive: true });
    const marker: Marker = { tool: "cnnp", what, files: filesUnder(fresh).sort() };
    writeFileAtomic(join(fresh, markerName), `${JSON.stringify(marker, null, 1)}\n`);
  } catch (e) {
    rmSync(fresh, { recursive: true, force: true });
    throw e;
  }
  const had = existsSync(target);
  if (had) renameSync(target, old);
  try {
    renameSync(fresh, target);
  } catch (e) {
    if (had) renameSync(old, target);
    rmSync(fresh, { recursive: true, force: true });
    throw e;
  }
  return had ? removeOwned(old) : null;
}
