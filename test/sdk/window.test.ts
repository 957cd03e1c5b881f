import type { WindowFnSpec } from "beamline";
import { assignWindows } from "../../sdk/window";

/** The window starts a row belongs to, by the definition: offset + k * size, start <= ts < start + size. */
function starts(ts: number, size: number, period: number, offset: number): number[] {
  const out: number[] = [];
  // Exact for these small integers and for fractions given as exact sums.
  for (let k = Math.ceil((ts - size - offset) / period) - 2; k <= Math.floor((ts - offset) / period) + 2; k++) {
    const s = offset + k * period;
    if (s <= ts && ts < s + size) out.push(s);
  }
  return out.sort((a, b) => b - a);
}

/** The double just below `x`. */
function below(x: number): number {
  const b = new Float64Array([x]);
  const bits = new BigInt64Array(b.buffer);
  bits[0] += x > 0 ? -1n : 1n;
  return b[0];
}

describe("assigning windows", () => {
  const stamps = [0, 1, 999, 1000, 1001, -1, -1000, -1001, 2999.9999999999995, 3000 - 1e-9, 3000, 12345.678, -0.5, 1e12 + 999, 1e12 + 1000];

  test("fixed windows: every timestamp, boundaries, negatives and fractions next to a boundary, whole and fractional sizes", () => {
    for (const [size, offset] of [[1000, 0], [1000, 250], [7, 3], [0.5, 0], [1000, 0.25]]) {
      const fn = { kind: "fixed", size, offset } as WindowFnSpec;
      const got = assignWindows(fn, Float64Array.from(stamps))!;
      stamps.forEach((ts, i) => {
        expect([got.start[i]]).toEqual(starts(ts, size, size, offset));
        expect(got.end[i]).toBe(got.start[i] + size);
        expect(got.source[i]).toBe(i);
      });
    }
    // A timestamp a hair below a boundary, where `ts - offset` rounds onto it: one window earlier.
    for (const [size, offset, boundary] of [[12345, 8412, -16278], [3600000, 3058863, -541137]]) {
      const ts = below(boundary);
      const got = assignWindows({ kind: "fixed", size, offset } as WindowFnSpec, Float64Array.from([ts, boundary]))!;
      expect([...got.start]).toEqual([boundary - size, boundary]);
    }
  });

  test("sliding windows: each timestamp in every window that covers it, latest first", () => {
    for (const [size, period, offset] of [[1000, 250, 0], [60, 7, 5], [3, 0.5, 0]]) {
      const fn = { kind: "sliding", size, period, offset } as WindowFnSpec;
      const got = assignWindows(fn, Float64Array.from(stamps))!;
      stamps.forEach((ts, i) => {
        const mine: number[] = [];
        for (let k = 0; k < got.source.length; k++) if (got.source[k] === i) mine.push(got.start[k]);
        expect(mine).toEqual(starts(ts, size, period, offset));
      });
    }
  });
});
