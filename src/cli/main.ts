#!/usr/bin/env node
import { WriteError } from "../util/write-error.js";
import { processIo } from "./io.js";
import { main } from "./program.js";

main(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // A file the system would not let cnnp write (full disk, read-only folder): the path and what
    // to do, in one line.
    if (e instanceof WriteError) {
      process.stderr.write(`error: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    // A bug in cnnp, not in the input: say so in one line, and where to report it.
    process.stderr.write(
      `internal error: ${e instanceof Error ? e.message : String(e)}\nPlease report this with the command you ran. (CNNP_DEBUG=1 shows the stack.)\n`,
    );
    if (process.env.CNNP_DEBUG) console.error(e);
    process.exitCode = 3;
  },
);
