import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { metricNames, pm, pmn, show, showP, signed } from "./format.js";
import type { ExperimentDraft, ExperimentKind, MetricKey, Row } from "./schema.js";
import { searchView } from "./search.js";
import { detectable, pooledSd, repeatsToDetect, varianceP } from "./stats/index.js";

/** The built-in templates: `templates/<kind>.hbs`, and partials `templates/_<name>.hbs`. */
export const builtInTemplates = fileURLToPath(new URL("../../templates/", import.meta.url));

const acc = "test.accuracy" satisfies MetricKey;

function rowView(r: Row) {
  const a = r.metrics[acc];
  const l = r.metrics["test.loss"];
  const t = r.metrics["time.per_sample"];
  return {
    label: r.label,
    n: r.ok,
    accuracy: a ? pmn(acc, a) : null,
    loss: l ? pmn("test.loss", l) : null,
    perSample: t ? `${pm("time.per_sample", t)} ms` : null,
    total: r.metrics["time.total"] ? `${pm("time.total", r.metrics["time.total"])} s` : null,
  };
}

/** The run-to-run sd of test accuracy and the smallest difference the experiment's repeats detect. */
function powerOf(sd: number | null, repeat: number) {
  const smallest = sd !== null ? detectable(sd, repeat) : null;
  return sd !== null && smallest !== null
    ? { sd: show(acc, sd), n: repeat, detectable: show(acc, smallest) }
    : null;
}

/**
 * Each configuration against the baseline, in words. An undecided one says how many repeats would
 * decide it at the pooled spread `sd`, when that is more than it has.
 */
function comparedOf(r: ExperimentDraft, accuracies: number[][], sd: number | null) {
  const repeatsFor = (difference: number | null, significant: boolean, index: number) => {
    if (significant || difference === null || sd === null || difference === 0) return null;
    const n = repeatsToDetect(difference, sd);
    const have = accuracies[index]?.length ?? 0;
    return n !== null && n > have ? n : null;
  };
  return r.rows
    .filter((x) => !x.baseline && x.vsBaseline && x.metrics[acc])
    .map((x) => {
      const c = x.vsBaseline?.[acc];
      return {
        label: x.label,
        accuracy: pmn(acc, x.metrics[acc] as NonNullable<Row["metrics"][typeof acc]>),
        difference: c && c.difference !== null ? signed(c.difference, (m) => show(acc, m)) : "",
        p: c?.p !== null && c?.p !== undefined ? showP(c.p) : null,
        pAdjusted: c?.pAdjusted !== null && c?.pAdjusted !== undefined ? showP(c.pAdjusted) : null,
        repeats: repeatsFor(c?.difference ?? null, c?.significant ?? false, x.index),
        effect: c?.effect !== null && c?.effect !== undefined ? c.effect.toFixed(2).replace("-", "−") : null,
        significant: c?.significant ?? false,
        higher: (c?.difference ?? 0) > 0,
        untestable: c?.untestable ?? null,
      };
    });
}

/** Each row's spread of test accuracy: sd, range and its width. */
function spreadOf(withResults: Row[]) {
  return withResults.map((x) => {
    const s = x.metrics[acc];
    return {
      label: x.label,
      n: s?.n ?? 0,
      sd: s ? show(acc, s.sd) : "",
      range: s ? `${show(acc, s.min)} to ${show(acc, s.max)}` : "",
      width: s ? show(acc, s.max - s.min) : "",
      sdValue: s?.sd ?? 0,
    };
  });
}

/** Repeatability: is one row's spread different from another's? An F-test, on two rows only. */
function spreadTestOf(
  withResults: Row[],
  accuracies: number[][],
): {
  narrower: string;
  wider: string;
  narrowerSd: string;
  widerSd: string;
  p: string;
  significant: boolean;
} | null {
  if (withResults.length !== 2) return null;
  const [a, b] = withResults as [Row, Row];
  const sa = a.metrics[acc]?.sd ?? 0;
  const sb = b.metrics[acc]?.sd ?? 0;
  const p = varianceP(accuracies[a.index] ?? [], accuracies[b.index] ?? []);
  if (p === null) return null;
  return {
    narrower: sa <= sb ? a.label : b.label,
    wider: sa <= sb ? b.label : a.label,
    narrowerSd: show(acc, Math.min(sa, sb)),
    widerSd: show(acc, Math.max(sa, sb)),
    p: showP(p),
    significant: p < 0.05,
  };
}

/** Epochs: where the mean test loss is lowest, and whether it rises after it beyond the repeats' spread. */
function overfitOf(t: ExperimentDraft["lossTurn"]) {
  if (!t) return null;
  const rises = t.lastEpoch > t.bestEpoch && t.lastLoss > t.bestLoss;
  return {
    label: t.label,
    bestEpoch: t.bestEpoch,
    bestLoss: show("test.loss", t.bestLoss),
    lastEpoch: t.lastEpoch,
    lastLoss: show("test.loss", t.lastLoss),
    trainAtBest: show("train.loss", t.trainAtBest),
    trainAtLast: show("train.loss", t.trainAtLast),
    n: t.n,
    p: t.p === null ? null : showP(t.p),
    rises,
    /** The rise is larger than the repeats' spread explains (paired t-test at 0.05). */
    significant: rises && t.p !== null && t.p < 0.05,
    untestable: rises && t.p === null,
    trainFalls: t.trainAtLast < t.trainAtBest,
  };
}

/** The epochs each row trained for before early stopping ended it. */
function stoppedOf(rows: Row[]) {
  return rows
    .filter((x) => x.metrics.epochs_trained)
    .map((x) => {
      const s = x.metrics.epochs_trained as NonNullable<Row["metrics"]["epochs_trained"]>;
      return { label: x.label, epochs: pm("epochs_trained", s), range: `n = ${s.n}; ${s.min} to ${s.max}` };
    });
}

/** The row with the lowest mean time per sample, with where it ran. */
function fastestOf(withResults: Row[]) {
  const fastest = [...withResults].sort(
    (a, b) => (a.metrics["time.per_sample"]?.mean ?? 0) - (b.metrics["time.per_sample"]?.mean ?? 0),
  )[0];
  return fastest
    ? { ...rowView(fastest), backends: fastest.backends.join(", "), hosts: fastest.hosts.join(", ") }
    : null;
}

/** Everything a conclusion template or a `note` can use, computed from the statistics. */
export function contextOf(r: ExperimentDraft, accuracies: number[][] = []) {
  const withResults = r.rows.filter((x) => x.metrics[acc]);
  // The run-to-run spread of test accuracy, pooled over the configurations.
  const sd = pooledSd(accuracies);
  const byAcc = [...withResults].sort((a, b) => (b.metrics[acc]?.mean ?? 0) - (a.metrics[acc]?.mean ?? 0));
  const base = r.rows.find((x) => x.baseline);
  const compared = comparedOf(r, accuracies, sd);
  return {
    title: r.title,
    kind: r.kind,
    repeat: r.repeat,
    rows: r.rows.map(rowView),
    /** The rows with results, for sentences that list them. */
    finished: withResults.map(rowView),
    results: withResults.length,
    rowsAre:
      r.varied.length > 0 && r.varied.every((v) => v.name === "dropout") ? "dropout rates" : "architectures",
    single: r.rows.length === 1,
    complete:
      r.status.missing === 0 && r.status.failed === 0 && r.status.waiting === 0 && r.status.unavailable === 0,
    status: r.status,
    failedRows: r.rows
      .filter((x) => x.failed > 0)
      .map((x) => ({ label: x.label, failed: x.failed, errors: x.errors.join("; ") })),
    unavailableRows: r.rows
      .filter((x) => x.unavailable > 0)
      .map((x) => ({ label: x.label, where: x.notAvailable.join("; ") })),
    missingRows: r.rows.filter((x) => x.missing > 0).map((x) => ({ label: x.label, missing: x.missing })),
    best: byAcc[0] ? rowView(byAcc[0]) : null,
    worst: byAcc.length > 1 ? rowView(byAcc[byAcc.length - 1] as Row) : null,
    baseline: base ? rowView(base) : null,
    better: compared.filter((c) => c.significant && c.higher),
    worse: compared.filter((c) => c.significant && !c.higher),
    same: compared.filter((c) => !c.significant && !c.untestable),
    untestable: compared.filter((c) => c.untestable),
    compared,
    tests: compared.filter((c) => c.p !== null).length,
    /** Several tests against one baseline: the text gives Holm's adjusted p too. */
    holm: compared.filter((c) => c.p !== null).length > 1,
    power: powerOf(sd, r.repeat),
    spread: spreadOf(withResults),
    spreadTest: r.rows.length === 2 ? spreadTestOf(withResults, accuracies) : null,
    answers: r.answers,
    search: searchView(r),
    uses: r.uses,
    figuresSummary: r.figuresSummary,
    overfit: overfitOf(r.lossTurn),
    stopped: stoppedOf(r.rows),
    fastest: fastestOf(withResults),
    metricNames,
  };
}

export interface Conclusions {
  /** `accuracies[i]`: the test accuracies of row i's finished runs (for the spread test). */
  write(r: ExperimentDraft, notes: string[], accuracies: number[][]): { conclusion: string; notes: string[] };
}

const firstLine = (text: string) => text.split("\n")[0] ?? text;

/** Collapses a rendered template's whitespace into plain sentences. */
function tidy(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .replace(/\s+([.,;:])/g, "$1")
    .trim();
}

/**
 * Loads the conclusion templates (`<kind>.hbs`) and partials (`_<name>.hbs`): the built-in ones,
 * each replaced by a file of the same name in `overrides` when there is one.
 */
export async function writeConclusions(
  overrides?: string,
  warn?: (line: string) => void,
): Promise<Conclusions> {
  const hb = Handlebars.create();
  const files = new Map<string, string>();
  for (const dir of [builtInTemplates, overrides]) {
    if (!dir) continue;
    if (!existsSync(dir)) throw new Error(`${dir}: no such templates folder`);
    for (const f of readdirSync(dir).filter((x) => x.endsWith(".hbs"))) files.set(f, join(dir, f));
  }
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  for (const [name, path] of files) {
    const text = readFileSync(path, "utf8");
    if (name.startsWith("_")) hb.registerPartial(name.slice(1, -4), text);
    else compiled.set(name.slice(0, -4), hb.compile(text, { noEscape: true, strict: false }));
  }
  const render = (t: HandlebarsTemplateDelegate, ctx: object, where: string) => {
    try {
      return tidy(t(ctx));
    } catch (e) {
      throw new Error(`${where}: ${(e as Error).message}`);
    }
  };
  return {
    write(r, notes, accuracies) {
      const ctx = contextOf(r, accuracies);
      const t = compiled.get(r.kind as ExperimentKind) ?? compiled.get("sweep");
      if (!t) throw new Error(`no conclusion template for ${r.kind} in ${builtInTemplates}`);
      return {
        conclusion: render(t, ctx, `${files.get(`${r.kind}.hbs`) ?? r.kind}`),
        notes: notes.map((n, i) => {
          // A note is the author's text first: one whose live numbers cannot be filled in (a
          // partial that does not exist, a helper misused) is shown as written, with a warning,
          // and never stops the report. `cnnp check` already refused notes that do not parse.
          try {
            return tidy(hb.compile(n, { noEscape: true, strict: false })(ctx));
          } catch (e) {
            warn?.(
              `note ${i + 1} of experiment "${r.title}" is shown as written: its {{...}} could not be filled in (${firstLine((e as Error).message)})`,
            );
            return tidy(n);
          }
        }),
      };
    },
  };
}
