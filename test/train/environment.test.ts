import { cpus } from "node:os";
import { describe, expect, it } from "vitest";
import { cpuName } from "../../src/train/environment.js";

const name = cpus()[0]?.model.trim() || "unknown";
const zen4 = `processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\nmodel\t\t: 17\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma avx512f avx512bw\n`;
const avx2Only = `processor\t: 0\ncpu family\t: 23\nmodel\t\t: 49\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx avx2 fma\n`;

describe("the host's processor as results record it", () => {
  it("adds family, model and the widest vector unit, which tell apart hosts that show one vendor line", () => {
    expect(cpuName(zen4)).toBe(`${name} (family 25, model 17; AVX-512)`);
    expect(cpuName(avx2Only)).toBe(`${name} (family 23, model 49; AVX2)`);
    expect(cpuName(zen4)).not.toBe(cpuName(avx2Only));
  });

  it("is the model name alone where there is no /proc/cpuinfo", () => {
    expect(cpuName(null)).toBe(name);
  });
});
