import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cstTypesText } from "../../src/dsl/cst-types.js";

describe("the CST types the AST builder is typed by", () => {
  it("are those the grammar generates today (else run `npm run cst`)", () => {
    expect(readFileSync("src/dsl/cst.d.ts", "utf8")).toBe(cstTypesText());
  });
});
