import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sourceInfo } from "../../src/execute/source.js";

const dir = resolve("test", ".tmp", `source-${process.pid}`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const git = (...args: string[]) =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir, stdio: "ignore" });

describe("the source a result records", () => {
  it("is dirty for changes to the pipeline's repository, but not for the results folder the run writes", () => {
    // As in this repository: the pipeline in pipelines/, its results in studies/NAME/results.
    mkdirSync(join(dir, "pipelines"), { recursive: true });
    mkdirSync(join(dir, "studies", "results", "contexts"), { recursive: true });
    writeFileSync(join(dir, "pipelines", "p.cnnp"), "model conv4 pool dense10\n");
    writeFileSync(join(dir, "studies", "results", "contexts", "c.json"), "{}\n");
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "study");
    const file = join(dir, "pipelines", "p.cnnp");
    const results = join(dir, "studies", "results");
    expect(sourceInfo(file, results).git?.dirty).toBe(false);
    // The run updates a tracked file of its results folder: the pipeline's version is unchanged.
    writeFileSync(join(dir, "studies", "results", "contexts", "c.json"), '{"usedAt":"now"}\n');
    expect(sourceInfo(file, results).git?.dirty).toBe(false);
    expect(sourceInfo(file).git?.dirty).toBe(true);
    // A results folder outside the repository excludes nothing, and fails nothing.
    expect(sourceInfo(file, "/tmp").git?.dirty).toBe(true);
    git("checkout", "--", "studies");
    expect(sourceInfo(file, "/tmp").git?.dirty).toBe(false);
    writeFileSync(file, "model conv8 pool dense10\n");
    expect(sourceInfo(file, results).git?.dirty).toBe(true);
  });
});
