// Writes src/dsl/cst.d.ts, the CST's types generated from the grammar (Chevrotain's
// generateCstDts), which types the CST-to-AST visitor: a renamed rule or label is then a compile
// error. Run after changing src/dsl/parser.ts: `npm run cst` (test/dsl/cst.test.ts fails until then).
import { writeFileSync } from "node:fs";
import { cstTypesText } from "../dist/dsl/cst-types.js";

writeFileSync(new URL("../src/dsl/cst.d.ts", import.meta.url), cstTypesText());
console.log("wrote src/dsl/cst.d.ts");
