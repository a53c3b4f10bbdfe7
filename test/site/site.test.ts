import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The report site end to end: a small real pipeline is trained (one experiment left out, so its
 * jobs are missing), `cnnp site --serve` builds and serves it, and headless Chromium reads every
 * page. Screenshots land in test/.tmp/screenshots/ for review.
 */
const dir = join("test", ".tmp", `site-${process.pid}`);
const shots = join("test", ".tmp", "screenshots");
const file = join(dir, "small.cnnp");
const results = join(dir, "results");
const out = join(dir, "site");
const port = 4600 + (process.pid % 300);
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";

const experiments = [
  { title: "Maps", slug: "maps", rows: 2 },
  { title: "Epochs", slug: "epochs", rows: 3 },
  { title: "Not run", slug: "not-run", rows: 1 },
];

let server: ChildProcess | undefined;
let browser: Browser | undefined;
let serverLog = "";

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
  for (const only of ["Maps", "Epochs"]) {
    const r = cnnp("run", file, "--only", only, "--results", results);
    expect(r.code, r.err).toBe(0);
  }
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

describe("the report site", { timeout: 120_000 }, () => {
  it("builds the pages and says where", () => {
    expect(serverLog).toMatch(
      /site: 5 pages in .*site\/ \(3 experiments; 10 of 12 jobs finished, 2 missing\)/,
    );
    expect(existsSync(join(out, "index.html"))).toBe(true);
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
      expect(await page.locator("table caption").count()).toBe(1);
      expect(await page.locator("table thead th[scope=col]").count()).toBeGreaterThan(4);
      expect(await page.locator("table tbody tr").count()).toBe(e.rows);
      expect(await page.locator("table tbody th[scope=row]").count()).toBe(e.rows);
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
      }
      if (e.slug === "maps")
        expect(await page.locator("p.note").textContent()).toMatch(/^Best here: maps \d\.$/);
      if (e.slug === "epochs") {
        expect(await page.locator("figure.chart[data-kind=curves-loss]").count()).toBe(1);
        expect(conclusion).toContain("best epochs by test.accuracy");
      }
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
    expect(text.out).toMatch(/^maps 4 \(baseline\)\s+2\/2\s+/m);
    expect(text.out).toMatch(
      /^configuration\s+n\s+training time \(s\)\s+time per sample \(ms\)\s+test loss/m,
    );
    expect(text.err).toContain("10 of 12 jobs finished, 2 missing");
    const md = cnnp("results", file, "--results", results, "--markdown");
    expect(md.out).toContain("## Maps");
    expect(md.out.match(/^\| (maps \d|epochs \d|small)/gm)).toHaveLength(6);
    expect(md.out).toMatch(/^\| small \| 0\/2 \| missing \| missing/m);
    const csv = cnnp("results", file, "--results", results, "--csv").out.trim().split("\n");
    expect(csv).toHaveLength(7);
    expect(csv[0]).toMatch(
      /^experiment,configuration,maps,epochs,planned,ok,failed,missing,time\.total\.mean,/,
    );
    expect(csv[6]).toMatch(/^Not run,small,,,2,0,0,2,,/);
    const json = JSON.parse(cnnp("results", file, "--results", results, "--json").out);
    expect(json.experiments.map((e: { rows: unknown[] }) => e.rows.length)).toEqual([2, 3, 1]);
    expect(json.experiments[0].rows[1].vsBaseline["test.accuracy"].p).toBeTypeOf("number");
    expect(json.experiments[2].status).toEqual({ jobs: 2, ok: 0, failed: 0, missing: 2 });
    const both = cnnp("results", file, "--csv", "--json");
    expect(both.code).toBe(2);
    expect(both.err).toContain("give one of --json, --markdown and --csv");
  });

  it("shows the environment: hosts, back ends, data checksum", async () => {
    const page = await (browser as Browser).newPage();
    await page.goto(url("/environment/"));
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).toMatch(/native|wasm/);
    expect(text).toMatch(/[0-9a-f]{64}/);
    expect(await page.locator("table").count()).toBe(5);
    await page.screenshot({ path: join(shots, "environment.png"), fullPage: true });
    await page.close();
  });
});
