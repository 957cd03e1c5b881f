/**
 * PaneInfo's non-speculative index in the portable runner's encoding, as Beam's
 * `PaneInfo.PaneInfoCoder` (sdks/java/core/.../windowing/PaneInfo.java) writes it, and timestamps
 * across Beam's whole range printed without `Date`.
 */
import { ByteReader, ByteWriter } from "../../runners/portable/coders/wire";
import { readPane, writePane } from "../../runners/portable/coders/coders";
import { fixedWindows, formatTimestamp, GLOBAL_WINDOW_MAX_TIMESTAMP, MAX_TIMESTAMP, MIN_TIMESTAMP, type PaneInfo, windowInto } from "beamline";

function encode(p: PaneInfo): number[] {
  const w = new ByteWriter();
  writePane(w, p);
  return [...w.finish()];
}

// PaneInfoCoder.chooseEncoding: FIRST (the byte alone) when both indices are 0; ONE_INDEX when the
// non-speculative index equals the index or the pane is early; TWO_INDICES otherwise. The low
// nibble is isFirst (1), isLast (2) and the timing (EARLY 0, ON_TIME 1, LATE 2, UNKNOWN 3) << 2.
test.each([
  [{ timing: "on_time", isFirst: true, isLast: true, index: 0, nonSpeculativeIndex: 0 }, [0x07]],
  [{ timing: "early", isFirst: true, isLast: false, index: 0, nonSpeculativeIndex: -1 }, [0x11, 0]],
  [{ timing: "early", isFirst: false, isLast: false, index: 3, nonSpeculativeIndex: -1 }, [0x10, 3]],
  [{ timing: "late", isFirst: false, isLast: false, index: 1, nonSpeculativeIndex: 1 }, [0x18, 1]],
  [{ timing: "on_time", isFirst: false, isLast: false, index: 2, nonSpeculativeIndex: 0 }, [0x24, 2, 0]],
  [{ timing: "late", isFirst: false, isLast: true, index: 4, nonSpeculativeIndex: 2 }, [0x2a, 4, 2]],
] as const)("%j encodes as Beam's PaneInfoCoder and round-trips", (pane, bytes) => {
  expect(encode(pane)).toEqual(bytes);
  expect(readPane(new ByteReader(Buffer.from(bytes)))).toEqual(pane);
});

test("timestamps beyond what a Date holds print, as do Beam's bounds", () => {
  expect(formatTimestamp(8.64e15 + 1)).toBe("+275760-09-13T00:00:00.001Z");
  expect(formatTimestamp(GLOBAL_WINDOW_MAX_TIMESTAMP - 86_400_000)).toMatch(/^\+294247-01-08T04:00:54\.77/);
  expect(formatTimestamp(-8.64e15 - 1)).toBe("-271821-04-19T23:59:59.999Z");
  expect(formatTimestamp(MIN_TIMESTAMP)).toBe("-inf");
  expect(formatTimestamp(MAX_TIMESTAMP)).toBe("+inf");
  expect(formatTimestamp(GLOBAL_WINDOW_MAX_TIMESTAMP)).toBe("end-of-global-window");
  for (const t of [0, -1, 1700000000123, 253402300800000, -62167219200001]) expect(formatTimestamp(t)).toBe(new Date(t).toISOString());
});

test("windowInto rejects an unknown closing or on-time behaviour", () => {
  expect(() => windowInto(fixedWindows(10), { closingBehavior: "sometimes" as never })).toThrow(/closingBehavior is "fireAlways" or "fireIfNonEmpty"/);
  expect(() => windowInto(fixedWindows(10), { onTimeBehavior: "never" as never })).toThrow(/onTimeBehavior/);
});
