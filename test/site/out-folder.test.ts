import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkOwned, markerName, OwnedFolderError, replaceOwned } from "../../src/util/owned-folder.js";
import { cnnp } from "../helpers/cli.js";

/**
 * `cnnp site --out DIR` replaces DIR whole, so it must never be a folder holding anything cnnp did
 * not write: not the pipeline's folder, not the results, not a parent of either, not a folder with
 * a user's file in it. These run the real command; it refuses before it builds anything.
 */
const dir = resolve("test", ".tmp", `out-folder-${process.pid}`);
const project = join(dir, "project");
const pipeline = join(project, "p.cnnp");
const results = join(project, "results");
const resultFile = join(results, "jobs", "0123456789abcdef.json");

/** Every file under a folder, relative to it. */
function tree(d: string): string[] {
  return readdirSync(d, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(d.length + 1))
    .sort();
}

beforeAll(() => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(results, "jobs"), { recursive: true });
  writeFileSync(pipeline, "data fashion_mnist train 64 test 32\nmodel m = conv4 pool flatten dense10\n");
  writeFileSync(join(project, "notes.txt"), "my notes\n");
  writeFileSync(resultFile, "{}\n");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("cnnp site --out", () => {
  const before = () => tree(project);

  it.each([
    ["the pipeline's folder", () => project, /is the pipeline's folder/],
    ["a parent of the pipeline's folder", () => dir, /holds the pipeline's folder/],
    ["the results folder", () => results, /is the results folder/],
  ])("refuses %s and deletes nothing", (_what, out, message) => {
    const files = before();
    const r = cnnp("site", pipeline, "--results", results, "--out", out());
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(tree(project)).toEqual(files);
  });

  it("refuses a folder that holds a file cnnp did not write, and leaves that file", () => {
    const out = join(dir, "mine");
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, "thesis.tex"), "\\begin{document}\n");
    const r = cnnp("site", pipeline, "--results", results, "--out", out);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toContain("thesis.tex");
    expect(readFileSync(join(out, "thesis.tex"), "utf8")).toBe("\\begin{document}\n");
  });
});

describe("a folder cnnp owns", () => {
  const built = (name: string, files: Record<string, string>) => {
    const b = join(dir, name);
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(join(b, f, ".."), { recursive: true });
      writeFileSync(join(b, f), text);
    }
    return b;
  };

  it("is replaced whole by the next build, its marker listing every file written", () => {
    const out = join(dir, "site");
    checkOwned(out, []);
    replaceOwned(built("build1", { "index.html": "one", "old/page.html": "gone next" }), out, "test");
    const marker = JSON.parse(readFileSync(join(out, markerName), "utf8"));
    expect(marker.files).toEqual(["index.html", "old/page.html"]);
    checkOwned(out, []);
    replaceOwned(built("build2", { "index.html": "two", "new/page.html": "new" }), out, "test");
    expect(tree(out)).toEqual([markerName, "index.html", "new/page.html"]);
    expect(readFileSync(join(out, "index.html"), "utf8")).toBe("two");
    // Nothing left beside it: no half-swapped copies.
    expect(readdirSync(dir).filter((f) => f.includes("cnnp-new") || f.includes("cnnp-old"))).toEqual([]);
  });

  it("is no longer replaced once a user adds a file to it", () => {
    const out = join(dir, "site2");
    replaceOwned(built("build3", { "index.html": "one" }), out, "test");
    writeFileSync(join(out, "draft.md"), "mine");
    expect(() => checkOwned(out, [])).toThrow(OwnedFolderError);
    expect(() => checkOwned(out, [])).toThrow(/draft\.md/);
    expect(existsSync(join(out, "draft.md"))).toBe(true);
  });

  it("removes only the files its marker lists when replaced: a file added after the check survives, and its folder is named", () => {
    const out = join(dir, "site3");
    replaceOwned(built("build4", { "index.html": "one", "pages/a.html": "a" }), out, "test");
    checkOwned(out, []);
    // Added between the check and the swap (while the site builds).
    writeFileSync(join(out, "pages", "notes.md"), "mine");
    const kept = replaceOwned(built("build5", { "index.html": "two" }), out, "test");
    expect(kept).not.toBeNull();
    expect(readFileSync(join(kept as string, "pages", "notes.md"), "utf8")).toBe("mine");
    expect(tree(kept as string)).toEqual(["pages/notes.md"]);
    expect(tree(out)).toEqual([markerName, "index.html"]);
  });

  it("may be a new or an empty folder", () => {
    expect(() => checkOwned(join(dir, "new-folder"), [])).not.toThrow();
    mkdirSync(join(dir, "empty"), { recursive: true });
    expect(() => checkOwned(join(dir, "empty"), [])).not.toThrow();
  });
});
