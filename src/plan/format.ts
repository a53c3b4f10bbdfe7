import { showSweepValue as show } from "../check/axes.js";
import { formatSummary } from "../layers/summary.js";
import type { SweepValue } from "../model/index.js";
import { halvingEpochs } from "../search/index.js";
import { plural } from "../util/plural.js";
import type { Plan, PlannedExperiment } from "./types.js";

const fmt = new Intl.NumberFormat("en-US");

/** Long runs of consecutive whole numbers read better as `5..100 (96 values)`. */
function showValues(values: SweepValue[][]): string {
  const flat = values.map((v) => (v.length === 1 ? v[0] : undefined));
  const ints = flat.every((v) => Number.isInteger(v)) ? (flat as number[]) : undefined;
  if (ints && ints.length > 8 && ints.every((v, i) => i === 0 || v === (ints[i - 1] ?? 0) + 1)) {
    return `${ints[0]}..${ints.at(-1)} (${ints.length} values)`;
  }
  return values.map((v) => (v.length === 1 ? show(v[0]) : `(${v.map(show).join(", ")})`)).join(", ");
}

/** Each distinct answer an experiment uses: where from, and its value or why there is none yet. */
export function usesOf(e: PlannedExperiment): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const c of e.configurations)
    for (const u of c.uses) {
      const where = `${u.name} from "${u.from.experiment}" (${u.from.question})`;
      const text = u.from.resolved
        ? `${where}: ${show(u.value)}, ${u.from.detail}`
        : `${where}: no answer yet (${u.from.detail})`;
      if (!seen.has(text)) out.push(text);
      seen.add(text);
    }
  return out;
}

/** The plan as `cnnp plan --json` prints it: stable field names the site and scripts rely on. */
export function planToJson(p: Plan): unknown {
  return {
    file: p.file,
    totals: p.totals,
    experiments: p.experiments.map((e) => ({
      number: e.number,
      name: e.title,
      slug: e.slug,
      configurations: e.configurations.length,
      jobs: e.jobs.length,
      waiting: e.waiting,
      uses: usesOf(e),
      repeat: e.repeat,
      epochs: e.epochs,
      varied: e.axes.map((a) => ({ names: a.names, values: a.values })),
      fixed: e.fixed,
      questions: e.questions.map((q) => q.text),
      baseline: e.baseline,
      rows: e.configurations.map((c) => ({
        index: c.index,
        label: c.label,
        values: c.values,
        model: c.model.name,
        training: c.training,
        data: c.data,
        backend: c.backend,
        seed: c.seed,
        waiting: c.waiting,
      })),
    })),
    models: p.models.map((m) => ({
      key: m.key,
      name: m.name,
      aliases: m.aliases,
      layers: m.layers.map((l) => ({ type: l.type, outputShape: l.outputShape, params: l.params })),
      totalParams: m.totalParams,
    })),
  };
}

const strategyWords = {
  random: "random search",
  tpe: "TPE (Tree-structured Parzen Estimator): 10 random candidates, then batches of 4 proposed from the finished ones",
  halving:
    "successive halving: random candidates at a few epochs, the best third of each rung going on at three times the epochs",
} as const;

/** A search's space, strategy, budget and the candidates known so far. */
function searchLines(e: PlannedExperiment): string[] {
  const s = e.search;
  if (!s) return [];
  const space = s.space.map((d) =>
    d.kind === "range"
      ? `${d.name} ${d.log ? "log " : ""}[${d.lo}..${d.hi}]${d.integer ? " (whole numbers)" : ""}`
      : `${d.name} [${d.values.map(String).join(", ")}]`,
  );
  const known = e.configurations.length;
  const epochs = e.configurations[0]?.training.epochs ?? 0;
  const a = e.axes[0];
  const repeats = `${e.repeat} repeat${e.repeat === 1 ? "" : "s"}`;
  const head = [
    `   search  ${strategyWords[s.strategy]}, by ${s.metric} (${s.higher ? "highest" : "lowest"} best)`,
    `   space   ${space.join("; ")}`,
  ];
  if (s.rungs) {
    const last = s.rungs[s.rungs.length - 1]?.epochs ?? 0;
    return [
      ...head,
      `   budget  ${s.rungs.map((r) => `${r.candidates} candidate${r.candidates === 1 ? "" : "s"} at ${r.epochs} epoch${r.epochs === 1 ? "" : "s"}`).join(", then ")}, x ${repeats}: ${fmt.format(halvingEpochs(s.rungs) * e.repeat)} epochs in all (all ${s.count} at ${last}: ${fmt.format(s.count * last * e.repeat)}); a candidate that goes on continues its run`,
      `   known   ${known} of ${s.planned} candidate rungs${known < s.planned ? " (each next rung's once the one before has finished)" : ""}${a ? `: ${showValues(a.values)}` : ""}`,
    ];
  }
  return [
    ...head,
    `   budget  ${s.count} candidates x ${repeats} = ${plural(s.count * e.repeat, "job")} of ${epochs} epoch${epochs === 1 ? "" : "s"}`,
    `   known   ${known} of ${s.count} candidates${known < s.count ? " (the others are proposed from their results as they finish)" : ""}${a ? `: ${showValues(a.values)}` : ""}`,
  ];
}

/** The plan for people: each experiment, what it varies, its jobs and epochs, then the models. */
export function planToText(p: Plan): string {
  const t = p.totals;
  const out: string[] = [];
  out.push(
    `${p.file}: ${plural(p.experiments.length, "experiment")}, ${plural(t.configurations, "configuration")}, ${plural(t.jobs, "job")} (${fmt.format(t.uniqueJobs)} distinct)${t.waitingJobs > 0 ? `, and ${fmt.format(t.waitingJobs)} waiting for another experiment's answer` : ""}`,
  );
  const saved = t.epochsNaive > 0 ? Math.round((1 - t.epochsPlanned / t.epochsNaive) * 100) : 0;
  out.push(
    `epochs to train: ${fmt.format(t.epochsPlanned)} in ${plural(t.runs, "run")} (naive: ${fmt.format(t.epochsNaive)}; shared runs save ${saved}%)`,
  );
  for (const e of p.experiments) {
    out.push("", e.title);
    if (e.search) out.push(...searchLines(e));
    else for (const a of e.axes) out.push(`   varies  ${a.names.join(", ")}: ${showValues(a.values)}`);
    if (e.axes.length === 0) out.push("   varies  nothing (repeats only)");
    out.push(
      `   fixed   ${Object.entries(e.fixed)
        .map(([k, v]) => `${k} ${v}`)
        .join("; ")}`,
    );
    const ready = e.configurations.length - e.waiting.configurations;
    out.push(
      `   jobs    ${ready} configuration${ready === 1 ? "" : "s"} x ${e.repeat} repeat${e.repeat === 1 ? "" : "s"} = ${plural(e.jobs.length, "job")}; epochs to train ${fmt.format(e.epochs.planned)} (naive ${fmt.format(e.epochs.naive)})`,
    );
    for (const q of e.questions)
      out.push(
        q.kind === "best" && q.implied
          ? `   answers the search's ${q.text} (the best candidate's)`
          : `   asks    find ${q.text}`,
      );
    for (const u of usesOf(e)) out.push(`   uses    ${u}`);
    if (e.waiting.configurations > 0) {
      const on = [
        ...new Set(
          e.configurations.flatMap((c) =>
            c.uses.filter((u) => !u.from.resolved).map((u) => u.from.experiment),
          ),
        ),
      ];
      const w = e.waiting.configurations;
      out.push(
        `   waits   ${w} configuration${w === 1 ? "" : "s"} (${plural(e.waiting.jobs, "job")}) cannot be planned until ${on.map((t) => `"${t}"`).join(" and ")} answer${on.length === 1 ? "s" : ""}; cnnp run trains ${on.length === 1 ? "it" : "them"} first`,
      );
    }
  }
  out.push("", "Models");
  for (const m of p.models) {
    const also = m.aliases.length > 0 ? ` (also: ${m.aliases.join("; ")})` : "";
    out.push("", `${m.name}${also}`);
    out.push(formatSummary({ rows: m.layers, totalParams: m.totalParams }).replace(/^/gm, "  "));
  }
  return out.join("\n");
}
