import { describe, expect, it } from "vitest";
import { hms } from "../../src/bench/study.js";

describe("the study bench's wall times", () => {
  it("round to the minute before splitting hours, so that no time reads 4h60m", () => {
    expect(hms(4 * 3600 + 59.6 * 60)).toBe("5h00m");
    expect(hms(3 * 3600 + 14 * 60 + 20)).toBe("3h14m");
    expect(hms(29)).toBe("0h00m");
  });
});
