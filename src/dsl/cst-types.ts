import { generateCstDts } from "chevrotain";
import { parserInstance } from "./parser.js";

/** The text of src/dsl/cst.d.ts: the CST's types as the grammar defines them today. */
export function cstTypesText(): string {
  const header =
    "// Generated from src/dsl/parser.ts by `npm run cst` (Chevrotain's generateCstDts): do not edit.\n";
  return `${header}${generateCstDts(parserInstance.getGAstProductions())}`;
}
