import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Study } from "../../src/report/schema.js";
import type { OkResult, ResultFile } from "../../src/store/schema.js";

/**
 * The report site end to end: a small real pipeline is trained (one experiment left out, so its
 * jobs are missing), `cnnp site --serve` builds and serves it, and headless Chromium reads every
 * page. Another pipeline writes to the same results folder, and must show nowhere. The numbers on
 * the pages are checked against ones computed here from the result files. Screenshots land in
 * test/.tmp/screenshots/ for review.
 */
const dir = join("test", ".tmp", `site-${process.pid}`);
const shots = join("test", ".tmp", "screenshots");
const file = join(dir, "small.cnnp");
/** Another pipeline that shares the results folder. */
const other = join(dir, "other.cnnp");
const results = join(dir, "results");
const out = join(dir, "site");
const port = 4600 + (process.pid % 300);
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

const experiments = [
  { title: "Maps", slug: "maps", rows: 2, number: 1 },
  { title: "Epochs", slug: "epochs", rows: 3, number: 2 },
  { title: "Not run", slug: "not-run", rows: 1, number: 3 },
];

let server: ChildProcess | undefined;
let browser: Browser | undefined;
let serverLog = "";
/** `cnnp results --json` of the small pipeline. */
let report: Study;

function cnnp(...args: string[]) {
  const r = spawnSync(process.execPath, ["dist/cli/main.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: 240_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  mkdirSync(shots, { recursive: true });
  writeFileSync(
    file,
    `data fashion_mnist train 512 test 200
repeat 2
model small = conv8 pool flatten dense16 dense10

experiment "Maps" {
  sweep maps [4, 8]
  find min maps where test.accuracy >= 0.2
  expect test.accuracy 0.99 for maps 4
  note "Best here: {{best.label}}."
}

experiment "Epochs" {
  evaluate_every 1
  sweep epochs [1..3]
  find best epochs by test.accuracy
}

experiment "Not run" {
  learning_rate 0.02
}
`,
  );
  writeFileSync(
    other,
    `data fashion_mnist train 256 test 100
epochs 1
repeat 1
model tiny = conv4 pool flatten dense10

experiment "Other" {
  sweep maps [2, 4]
}
`,
  );
  for (const only of ["Maps", "Epochs"]) {
    const r = cnnp("run", file, "--only", only, "--results", results);
    expect(r.code, r.err).toBe(0);
  }
  const r = cnnp("run", other, "--results", results);
  expect(r.code, r.err).toBe(0);
  const json = cnnp("results", file, "--results", results, "--json");
  expect(json.code, json.err).toBe(0);
  report = JSON.parse(json.out);
  server = spawn(
    process.execPath,
    ["dist/cli/main.js", "site", file, "--results", results, "--out", out, "--serve", "--port", String(port)],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  server.stdout?.on("data", (d) => {
    serverLog += d;
  });
  server.stderr?.on("data", (d) => {
    serverLog += d;
  });
  const deadline = Date.now() + 180_000;
  while (!serverLog.includes("serving ")) {
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`cnnp site --serve: ${serverLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}, 400_000);

afterAll(async () => {
  await browser?.close();
  server?.kill("SIGINT");
  rmSync(dir, { recursive: true, force: true });
});

const url = (path: string) => `http://127.0.0.1:${port}${path}`;

/** Every result file in the folder, of either pipeline. */
function resultFiles(): ResultFile[] {
  const jobs = join(results, "jobs");
  return readdirSync(jobs)
    .filter((f) => f.endsWith(".json"))
    .map((f) => JSON.parse(readFileSync(join(jobs, f), "utf8")) as ResultFile);
}

/** The small pipeline's finished jobs, read from the result files. */
const mine = () => resultFiles().filter((f) => f.source.file === file);

/** Per configuration of an experiment: its test accuracies, mean and sample sd, as `0.1234 ± 0.0012, n = 2`. */
function accuracies(experiment: number): { index: number; mean: number; text: string }[] {
  const by = new Map<number, number[]>();
  for (const f of mine())
    if (f.status === "ok" && f.experiment === experiment)
      by.set(f.configuration, [...(by.get(f.configuration) ?? []), (f as OkResult).test.accuracy]);
  return [...by].map(([index, xs]) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
    return { index, mean, text: `${mean.toFixed(4)} ± ${sd.toFixed(4)}, n = ${xs.length}` };
  });
}

/** A table's body as text, cell by cell, found by its caption. */
async function tableRows(page: Page, caption: string): Promise<string[][]> {
  return page
    .locator("table", { has: page.locator("caption", { hasText: caption }) })
    .locator("tbody tr")
    .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => (c.textContent ?? "").trim())));
}

/** Fashion-MNIST's classes, as its authors name them. */
const classNames = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/**
 * The per-class accuracies and confusion matrices on an experiment's page, against the result
 * files: per class, its share of the configuration's test images it got right; per matrix, the
 * mean of the configuration's matrices, whose cells add up to the test set.
 */
async function classDetail(page: Page, experiment: number) {
  const header = await page.locator("table.per-class thead th").allTextContents();
  expect(header).toEqual(["configuration", ...classNames]);
  const files = mine().filter((f): f is OkResult => f.status === "ok" && f.experiment === experiment);
  const perClass = await tableRows(page, "Test accuracy on each class");
  const configs = [...new Set(files.map((f) => f.configuration))].sort();
  expect(perClass).toHaveLength(configs.length);
  const pct = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 1 });
  for (const [i, c] of configs.entries()) {
    const runs = files.filter((f) => f.configuration === c);
    const mean = (k: number) =>
      runs.reduce((a, f) => {
        const row = f.test.confusion?.[k] ?? [];
        return a + (row[k] ?? 0) / row.reduce((x, y) => x + y, 0);
      }, 0) / runs.length;
    expect(perClass[i]?.slice(1)).toEqual(classNames.map((_, k) => pct.format(mean(k))));
  }
  const matrices = page.locator("table.confusion");
  expect(await matrices.count()).toBeGreaterThanOrEqual(1);
  for (let m = 0; m < (await matrices.count()); m++) {
    const cells = await matrices
      .nth(m)
      .locator("tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => Number(td.textContent))),
      );
    expect(cells).toHaveLength(10);
    expect(cells.flat().reduce((a, b) => a + b, 0)).toBeCloseTo(200, 0);
  }
}

/**
 * The images of what the models learned: per configuration, its filters (one 3x3 tile per filter,
 * 16 pixels a weight, 2 between tiles, 8 tiles a row) and feature maps; and the most accurate
 * configuration's misclassified test images, each with two different class names.
 */
async function learned(page: Page, configurations: number) {
  const filters = page.locator("section.learned figure.filters img");
  expect(await filters.count()).toBe(configurations);
  expect(await page.locator("section.learned figure.feature-maps img").count()).toBe(configurations);
  for (const src of await filters.evaluateAll((imgs) => imgs.map((i) => i.getAttribute("src") ?? "")))
    expect(src).toMatch(/^data:image\/png;base64,/);
  const widths = await filters.evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth));
  const labels = await page
    .locator("section.learned .learned-row")
    .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-configuration")));
  // conv8 with maps 4 and 8 (Maps), or 8 filters (Epochs).
  const filtersOf = (label: string | null) => (label === "maps 4" ? 4 : 8);
  expect(widths).toEqual(
    labels.map((l) => Math.min(8, filtersOf(l)) * 48 + (Math.min(8, filtersOf(l)) - 1) * 2),
  );
  const wrong = await page
    .locator("figure.misclassified li")
    .evaluateAll((lis) =>
      lis.map((li) => [
        li.querySelector(".truth")?.textContent,
        li.querySelector(".predicted")?.textContent?.slice(2),
      ]),
    );
  expect(wrong.length).toBeGreaterThan(0);
  expect(wrong.length).toBeLessThanOrEqual(12);
  for (const [truth, predicted] of wrong) {
    expect(classNames).toContain(truth);
    expect(classNames).toContain(predicted);
    expect(truth).not.toBe(predicted);
  }
}

/** The answers as a page shows them: `question: answer`. */
async function answersOn(page: Page): Promise<{ question: string; answer: string }[]> {
  return page.locator("ul.answers li:has(> code)").evaluateAll((lis) =>
    lis.map((li) => {
      const question = li.querySelector("code")?.textContent ?? "";
      return { question, answer: (li.textContent ?? "").trim().slice(question.length).replace(/^:\s*/, "") };
    }),
  );
}

describe("the report site", { timeout: 120_000 }, () => {
  it("builds the pages and says where", () => {
    expect(serverLog).toMatch(
      /site: 5 pages in .*site\/ \(3 experiments; 10 of 12 jobs finished, 2 missing\)/,
    );
    expect(existsSync(join(out, "index.html"))).toBe(true);
    // The marker that lets the next build replace this folder, and only it, lists every page.
    const marker = JSON.parse(readFileSync(join(out, ".cnnp-site.json"), "utf8"));
    expect(marker.files).toContain("index.html");
    expect(marker.files).toContain("experiments/maps/index.html");
  });

  it("lists every experiment on the index, with its headline conclusion", async () => {
    const page = await (browser as Browser).newPage();
    await page.goto(url("/"));
    const links = await page.locator("ul.experiments li a").allTextContents();
    expect(links).toEqual(experiments.map((e) => e.title));
    const headlines = await page.locator("ul.experiments li p").allTextContents();
    for (const h of headlines) expect(h.length).toBeGreaterThan(20);
    await page.screenshot({ path: join(shots, "index.png"), fullPage: true });
    await page.close();
  });

  for (const e of experiments) {
    it(`shows ${e.title}: its table, charts and conclusion`, async () => {
      const page = await (browser as Browser).newPage({ viewport: { width: 390, height: 844 } });
      const response = await page.goto(url(`/experiments/${e.slug}/`));
      expect(response?.status()).toBe(200);
      expect(await page.locator("h1").textContent()).toBe(e.title);
      // Accessible table: a caption, column headers, row headers; one row per configuration.
      expect(await page.locator("table.results caption").count()).toBe(1);
      expect(await page.locator("table.results thead th[scope=col]").count()).toBeGreaterThan(4);
      expect(await page.locator("table.results tbody tr").count()).toBe(e.rows);
      expect(await page.locator("table.results tbody th[scope=row]").count()).toBe(e.rows);
      // On a phone the wide table scrolls, but its caption wraps within the screen.
      expect(await page.locator("table.results caption .text").count()).toBe(1);
      const caption = await page.locator("table.results caption .text").boundingBox();
      expect(caption?.width ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(390);
      // Each setting is listed once: the repeats as `repeats` alone (they were also listed as `repeat`).
      const terms = await page.locator("dl.facts dt").allTextContents();
      expect(terms).toContain("repeats");
      expect(terms).not.toContain("repeat");
      expect(new Set(terms).size).toBe(terms.length);
      const conclusion = (await page.locator("#conclusion").textContent()) ?? "";
      expect(conclusion.length).toBeGreaterThan(30);
      if (e.slug === "not-run") {
        // Missing jobs show as missing, never as numbers.
        expect(await page.locator("td.missing").count()).toBeGreaterThan(3);
        expect(conclusion).toContain("There are no results yet");
        expect(await page.locator("figure.chart").count()).toBe(0);
      } else {
        expect(await page.locator("td.missing").count()).toBe(0);
        expect(await page.locator("figure.chart svg").count()).toBeGreaterThanOrEqual(1);
        expect(await page.locator("figure.chart [role=img][aria-label]").count()).toBeGreaterThanOrEqual(1);
        await classDetail(page, e.number);
        await learned(page, e.rows);
        // The document's order: the results, then their charts, then the detail per class and image.
        const heads = (await page.locator("main h2").allTextContents()).map((h) => h.trim());
        const at = (h: string) => heads.indexOf(h);
        expect(at("Results")).toBeGreaterThanOrEqual(0);
        expect(at("Charts")).toBeGreaterThan(at("Results"));
        expect(at("Class by class")).toBeGreaterThan(at("Charts"));
      }
      if (e.slug === "maps") {
        // conv{4,8} pool flatten dense16 dense10 on 28x28x1, by Keras' rules:
        // conv 3*3*1*m + m; dense16 13*13*m*16 + 16; dense10 16*10 + 10.
        const params = (m: number) => 9 * m + m + (169 * m * 16 + 16) + 170;
        expect([params(4), params(8)]).toEqual([11_042, 21_898]);
        const summaries = await page.locator("figure.model-summary pre").allTextContents();
        expect(summaries.map((s) => /Total params: ([\d,]+)/.exec(s)?.[1])).toEqual(["11,042", "21,898"]);
        const rows = await tableRows(page, "Maps: mean");
        expect(rows.map((r) => r[1])).toEqual(["11,042", "21,898"]);
        // The published figure: its verdict as the report gives it, and in the table's last column.
        const figure = report.experiments[0]?.figures[0];
        expect(figure?.label).toBe("maps 4");
        expect((await page.locator("section.figures li").allTextContents()).map((t) => t.trim())).toEqual([
          `expect test.accuracy 0.99 for maps 4: ${figure?.verdict}.`,
        ]);
        expect(rows[0]?.at(-1)).toMatch(/^test accuracy 0\.9900 \((reproduced|not reproduced)\)$/);
        expect(rows[1]?.at(-1)).toBe("");
      }
      if (e.slug === "maps") {
        expect(await page.locator("p.note").textContent()).toMatch(/^Best here: maps \d\.$/);
        // The question's bar (find min maps where test.accuracy >= 0.2) is drawn on the sweep chart.
        const sweep = page.locator("figure.chart[data-kind=sweep]");
        expect(await sweep.locator("figcaption").textContent()).toContain(
          "The dashed line is the question's bar, test accuracy ≥ 0.2.",
        );
        expect(await sweep.locator("g.mark-rule.role-mark [stroke-dasharray='6,3']").count()).toBe(1);
      }
      if (e.slug === "epochs") {
        expect(await page.locator("figure.chart[data-kind=curves-loss]").count()).toBe(1);
        // The legend tells train from test by their lines: one dash pattern each, drawn visibly.
        const dashes = await page
          .locator("figure.chart[data-kind=curves-loss] .role-legend-symbol path[stroke-dasharray]")
          .evaluateAll((ps) => ps.map((p) => [p.getAttribute("stroke-dasharray"), p.getAttribute("stroke")]));
        expect(dashes.length).toBeGreaterThanOrEqual(2);
        expect(new Set(dashes.map((d) => d[0])).size).toBe(dashes.length);
        for (const [, stroke] of dashes) expect(stroke === null || stroke === "transparent").toBe(false);
        // Only the data the curves have: no validation split here, so no legend entry for one.
        const legend = await page
          .locator("figure.chart[data-kind=curves-loss] .role-legend-label text")
          .allTextContents();
        expect(legend).toContain("test");
        expect(legend).not.toContain("validation");
      }
      // The answers: the ones `cnnp results --json` gives, and right by the result files.
      const answers = await answersOn(page);
      const reported = report.experiments.find((x) => x.slug === e.slug)?.answers;
      expect(answers).toEqual(reported?.map((a) => ({ question: a.question, answer: a.answer })));
      if (e.slug === "maps") {
        // find min maps where test.accuracy >= 0.2 (configurations: maps 4, maps 8)
        const rows = accuracies(1).sort((a, b) => a.index - b.index);
        expect(rows).toHaveLength(2);
        const pass = rows.find((r) => r.mean >= 0.2);
        const answer = answers[0]?.answer ?? "";
        const expected = pass
          ? `maps ${[4, 8][pass.index]} (test accuracy ${pass.text})`
          : "none of the values tried meets test accuracy >= 0.2";
        expect(answer.slice(0, expected.length)).toBe(expected);
      }
      if (e.slug === "epochs") {
        // find best epochs by test.accuracy (configurations: epochs 1, 2, 3)
        const [best, next] = accuracies(2).sort((a, b) => b.mean - a.mean);
        const answer = answers[0]?.answer ?? "";
        const expected = `epochs ${(best?.index ?? 0) + 1}: test accuracy ${best?.text}; next, epochs ${(next?.index ?? 0) + 1}: test accuracy ${next?.text} (`;
        expect(answer.slice(0, expected.length)).toBe(expected);
      }
      if (e.slug === "not-run") expect(answers).toEqual([]);
      // Reads on a phone: nothing but the table scrolls sideways.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(1);
      await page.screenshot({ path: join(shots, `${e.slug}.png`), fullPage: true });
      // The table as CSV, from the page's own link.
      const href = await page.locator("caption a[download]").getAttribute("href");
      const csv = await (await fetch(url(href ?? ""))).text();
      const lines = csv.trim().split("\n");
      expect(lines[0]).toMatch(/^experiment,configuration,/);
      expect(lines).toHaveLength(e.rows + 1);
      await page.close();
    });
  }

  it("prints the same tables in the terminal: text, Markdown, CSV and JSON", () => {
    const text = cnnp("results", file, "--results", results);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^maps 4 \(baseline\)\s+11,042\s+2\/2\s+/m);
    expect(text.out).toMatch(
      /^configuration\s+params\s+n\s+training time \(s\)\s+time per sample \(ms\)\s+test loss/m,
    );
    expect(text.err).toContain("10 of 12 jobs finished, 2 missing");
    const md = cnnp("results", file, "--results", results, "--markdown");
    expect(md.out).toContain("## Maps");
    expect(md.out.match(/^\| (maps \d|epochs \d|small)/gm)).toHaveLength(6);
    expect(md.out).toMatch(/^\| small \| 21,898 \| 0\/2 \| missing \| missing/m);
    const csv = cnnp("results", file, "--results", results, "--csv").out.trim().split("\n");
    expect(csv).toHaveLength(7);
    expect(csv[0]).toMatch(
      /^experiment,configuration,maps,epochs,params,planned,ok,failed,missing,unavailable,time\.total\.mean,/,
    );
    expect(csv[6]).toMatch(/^Not run,small,,,21898,2,0,0,2,0,,/);
    const json = JSON.parse(cnnp("results", file, "--results", results, "--json").out);
    expect(json.experiments.map((e: { rows: unknown[] }) => e.rows.length)).toEqual([2, 3, 1]);
    expect(json.experiments[0].rows[1].vsBaseline["test.accuracy"].p).toBeTypeOf("number");
    expect(json.experiments[2].status).toEqual({
      jobs: 2,
      ok: 0,
      failed: 0,
      unavailable: 0,
      missing: 2,
      waiting: 0,
    });
    const both = cnnp("results", file, "--csv", "--json");
    expect(both.code).toBe(2);
    expect(both.err).toContain("give one of --json, --markdown and --csv");
  });

  it("shows the environment of this pipeline's jobs only: hosts, back ends, data, what ran where", async () => {
    const files = mine();
    const oks = files.filter((f): f is OkResult => f.status === "ok");
    // The other pipeline's two jobs are in the folder too.
    expect(resultFiles().length - files.length).toBe(2);
    expect(files).toHaveLength(report.status.ok + report.status.failed);
    const count = (keys: string[]) => {
      const m = new Map<string, number>();
      for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
      return [...m].sort();
    };
    const page = await (browser as Browser).newPage();
    await page.goto(url("/environment/"));
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toMatch(/native|wasm/);
    expect(text).toMatch(/[0-9a-f]{64}/);
    // Failed jobs ran too, but did not finish: the intro counts them apart.
    const failed =
      report.status.failed > 0 ? ` (${report.status.ok} finished, ${report.status.failed} failed)` : "";
    expect(text.replace(/\s+/g, " ")).toContain(
      `Where the study's ${files.length} jobs ran${failed}, on what`,
    );
    expect(text).not.toContain("finished jobs ran");
    expect(await page.locator("table").count()).toBe(5);
    const hosts = await tableRows(page, "Machines that ran jobs");
    expect(hosts.map((r) => [r[0], Number(r.at(-1))]).sort()).toEqual(
      count(files.map((f) => f.host.hostname)),
    );
    const backends = await tableRows(page, "back ends that trained jobs");
    expect(backends.map((r) => [r[0], Number(r.at(-1))]).sort()).toEqual(
      count(oks.map((f) => f.backend.name)),
    );
    const where = await tableRows(page, "Finished jobs per host and back end");
    expect(where.map((r) => [`${r[0]} ${r[1]}`, Number(r[2])]).sort()).toEqual(
      count(oks.map((f) => `${f.host.hostname} (${f.host.cpu}, ${f.host.cores} cores) ${f.backend.name}`)),
    );
    const data = await tableRows(page, "Fashion-MNIST as the jobs read it");
    expect(data.map((r) => [r[1], Number(r.at(-1))]).sort()).toEqual(
      count(files.map((f) => f.data.checksum)),
    );
    const sources = await tableRows(page, "The pipeline file and git commit each job came from");
    expect(sources.map((r) => [r[0], Number(r.at(-1))])).toEqual([[file, files.length]]);
    await page.screenshot({ path: join(shots, "environment.png"), fullPage: true });
    await page.close();
  });
});
