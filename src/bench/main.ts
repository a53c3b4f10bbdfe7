import { fileURLToPath } from "node:url";
import { benchCliff } from "./cliff.js";
import { benchCurves } from "./curves.js";
import { benchParse } from "./parse.js";
import { benchStudy } from "./study.js";
import { benchTrain } from "./train.js";
import { benchWorkers } from "./workers.js";

/**
 * `npm run bench [-- parse|train|workers|study|cliff|curves] [--rounds N] [--images N] [--no-epoch]
 * [--no-peer]`: the figures the issues' speed targets are measured by. With no section, all run.
 */
const args = process.argv.slice(2);
const sections = args.filter((a) => !a.startsWith("--") && !/^\d+$/.test(a));
const want = (s: string) => sections.length === 0 || sections.includes(s);
const roundsAt = args.indexOf("--rounds");
const rounds = roundsAt >= 0 ? Number(args[roundsAt + 1]) : 3;

if (want("parse")) benchParse();
if (want("train")) {
  await benchTrain({
    rounds: Number.isInteger(rounds) && rounds > 0 ? rounds : 3,
    fullEpoch: !args.includes("--no-epoch"),
    peer: !args.includes("--no-peer"),
    peerScript:
      process.env.CNNP_PEER ?? fileURLToPath(new URL("../../../shared/bench/peer_torch.py", import.meta.url)),
  });
}
if (want("workers")) benchWorkers(Number.isInteger(rounds) && rounds > 0 ? rounds : 3);
const imagesAt = args.indexOf("--images");
const images = imagesAt >= 0 ? Number(args[imagesAt + 1]) : 2048;
if (want("study")) await benchStudy(Number.isInteger(images) && images >= 256 ? images : 2048);
if (want("cliff")) await benchCliff(Number.isInteger(rounds) && rounds > 0 ? rounds : 3);
if (want("curves")) await benchCurves();
