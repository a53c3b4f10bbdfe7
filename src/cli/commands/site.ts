import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { study as studySchema } from "../../report/schema.js";
import { checkOwned, OwnedFolderError, replaceOwned } from "../../util/owned-folder.js";
import type { Io } from "../io.js";
import { loadStudy } from "./report-input.js";
import { type SiteOptions, siteFlags, siteRoot } from "./site-flags.js";

/** The HTML pages under `dir`, in every folder. */
function countPages(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countPages(join(dir, e.name));
    else if (e.name.endsWith(".html")) n++;
  }
  return n;
}

/**
 * `cnnp site FILE`: builds the report site from the results folder with Astro (the project in
 * `site/`), into `--out`; with `--serve`, previews it on localhost until Ctrl-C.
 */
export async function siteCommand(file: string, opts: SiteOptions, io: Io): Promise<number> {
  const flags = siteFlags(file, opts);
  if (typeof flags === "string") {
    io.err(`error: ${flags}`);
    return 2;
  }
  const { port, base, out, keep } = flags;
  try {
    checkOwned(opts.out ?? "site-out", keep);
  } catch (e) {
    if (!(e instanceof OwnedFolderError)) throw e;
    io.err(`error: ${e.message}`);
    return 2;
  }
  const study = await loadStudy(file, { ...opts, images: true }, io);
  if (typeof study === "number") return study;
  const work = mkdtempSync(join(tmpdir(), "cnnp-site-"));
  const studyPath = join(work, "study.json");
  writeFileSync(studyPath, JSON.stringify(studySchema.parse(study)));
  process.env.CNNP_STUDY = studyPath;
  const astro = await import("astro");
  // Astro imports its server-side build from the outDir, so that must sit where the project's
  // node_modules resolve: build under site/.build/<pid>, then move the pages to --out.
  const staging = join(siteRoot, ".build", String(process.pid));
  const config = {
    root: siteRoot,
    outDir: staging,
    base,
    cacheDir: join(work, "cache"),
    logLevel: "warn" as const,
    vite: { logLevel: "warn" as const },
  };
  const cwd = process.cwd();
  try {
    rmSync(staging, { recursive: true, force: true });
    process.chdir(siteRoot);
    await astro.build(config);
    // Checked again: the folder may have gained a file while the site was building.
    checkOwned(opts.out ?? "site-out", keep);
    const kept = replaceOwned(staging, out, `the report site of ${file}`);
    if (kept)
      io.err(
        `warning: ${kept} holds the earlier site's folder with files cnnp did not write (added while it built); they are left there: move them and remove the folder`,
      );
  } catch (e) {
    if (e instanceof OwnedFolderError) {
      io.err(`error: ${e.message}`);
      return 2;
    }
    io.err(`error: the site did not build: ${(e as Error).message}`);
    if (process.env.CNNP_DEBUG) console.error(e);
    return 1;
  } finally {
    process.chdir(cwd);
    rmSync(staging, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
  const pages = countPages(out);
  const near = relative(process.cwd(), out);
  const shown = near === "" ? "." : near.startsWith("..") ? out : near;
  io.err(
    `site: ${pages} pages in ${shown}/ (${study.experiments.length} experiments; ${study.status.ok} of ${study.status.jobs} jobs finished${study.status.failed ? `, ${study.status.failed} failed` : ""}${study.status.missing ? `, ${study.status.missing} missing` : ""})`,
  );
  io.out(join(shown, "index.html"));
  if (!opts.serve) {
    const args = process.argv.slice(3).filter((a) => a !== "--serve");
    io.err(`preview it with: cnnp site ${args.join(" ")} --serve`);
    return 0;
  }
  const server = await astro.preview({
    root: siteRoot,
    outDir: out,
    base,
    server: { port, host: "127.0.0.1" },
    logLevel: "warn",
  });
  io.err(`serving ${shown}/ at http://127.0.0.1:${server.port}${base} (Ctrl-C stops)`);
  await new Promise<void>((done) => {
    const stop = () => done();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  await server.stop();
  return 0;
}
