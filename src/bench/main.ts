import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { benchCliff } from "./cliff.js";
import { benchCurves } from "./curves.js";
import { benchGpu } from "./gpu.js";
import { benchParse } from "./parse.js";
import { benchSearch } from "./search.js";
import { benchStudy, studyFile } from "./study.js";
import { benchTrain } from "./train.js";
import { benchWorkers } from "./workers.js";

const usage = `usage: npm run bench [-- SECTION...] [--rounds N] [--images N] [--pipeline FILE] [--no-epoch] [--no-peer]

The figures the issues' speed targets are measured by. With no section, all run.
  sections     parse, train, workers, study, cliff, curves, gpu, search
  --rounds N   rounds per figure, the median is shown (default 3)
  --images N   images each study model is timed on, at least 256 (default 2048)
  --pipeline FILE  study: time this Fashion-MNIST pipeline instead of the study's
  --no-epoch   train: skip the full epoch of 60,000 images
  --no-peer    train: skip the PyTorch peer`;

const known = ["parse", "train", "workers", "study", "cliff", "curves", "gpu", "search"];
function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n\n${usage}\n`);
  process.exit(2);
}
function parse() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        rounds: { type: "string" },
        images: { type: "string" },
        pipeline: { type: "string" },
        "no-epoch": { type: "boolean" },
        "no-peer": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    return fail((e as Error).message);
  }
}
const parsed = parse();
if (parsed.values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const sections = parsed.positionals;
for (const s of sections) if (!known.includes(s)) fail(`unknown section "${s}"`);
/** A whole number of at least `min` from `--name`, or `fallback` when it is not given. */
function count(name: "rounds" | "images", min: number, fallback: number): number {
  const v = parsed.values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) fail(`--${name} takes a whole number of at least ${min}, not "${v}"`);
  return n;
}
const rounds = count("rounds", 1, 3);
const images = count("images", 256, 2048);
const want = (s: string) => sections.length === 0 || sections.includes(s);

if (want("parse")) benchParse();
if (want("train")) {
  await benchTrain({
    rounds,
    fullEpoch: !parsed.values["no-epoch"],
    peer: !parsed.values["no-peer"],
    peerScript:
      process.env.CNNP_PEER ?? fileURLToPath(new URL("../../../shared/bench/peer_torch.py", import.meta.url)),
  });
}
if (want("workers")) benchWorkers(rounds);
if (want("study")) {
  try {
    await benchStudy(images, parsed.values.pipeline ?? studyFile);
  } catch (e) {
    fail((e as Error).message);
  }
}
if (want("cliff")) await benchCliff(rounds);
if (want("curves")) await benchCurves();
if (want("gpu")) await benchGpu();
if (want("search")) benchSearch();
