/**
 * Elements between the Fn API's bytes and Beamline's batches: windowed values with their timestamps,
 * windows and panes survive the trip, an element in several windows becomes one row per window, and
 * grouped values take Beamline's `{key, values}` shape.
 */
import { GLOBAL_WINDOW_MAX_TIMESTAMP, MIN_TIMESTAMP } from "beamline";
import { CoderProto, coderFromProto, valueCoder, windowedValueCoder, WindowedValue, Coder } from "../../../runners/portable/coders/coders";
import { decodeElements, encodeElements, RowBatch } from "../../../runners/portable/harness/elements/elements";
import { ByteWriter } from "../../../runners/portable/coders/wire";

const coders: Record<string, CoderProto> = {
  iw: { spec: { urn: "beam:coder:interval_window:v1" } },
  gw: { spec: { urn: "beam:coder:global_window:v1" } },
};

test("rows with interval windows and panes round-trip through windowed values", () => {
  const coder = windowedValueCoder(valueCoder, coderFromProto("iw", coders, null)) as Coder<WindowedValue>;
  const batch: RowBatch = {
    rows: [{ user: "ann", n: 3 }, { user: "bob", n: 12n }, "bare"],
    timestamps: Float64Array.from([59_999, 119_999, 1_000]),
    windows: { kind: "interval", start: Float64Array.from([0, 60_000, 0]), end: Float64Array.from([60_000, 120_000, 60_000]) },
    panes: { flags: Uint8Array.from([1 | 4 | 8, 0 | 4, 2 | 8]), index: Int32Array.from([0, 0, 3]) },
  };
  const w = new ByteWriter();
  encodeElements(coder, batch, w);
  const back = decodeElements(coder, w.finish(), (v) => v);
  expect(back.rows).toEqual(batch.rows);
  expect(Array.from(back.timestamps)).toEqual(Array.from(batch.timestamps));
  expect(back.windows).toEqual(batch.windows);
  expect(Array.from(back.panes!.flags)).toEqual(Array.from(batch.panes!.flags));
  expect(Array.from(back.panes!.index)).toEqual([0, 0, 3]);
});

test("Beam's bounds survive exactly: the minimum timestamp and the end of the global window", () => {
  const coder = windowedValueCoder(valueCoder, coderFromProto("gw", coders, null)) as Coder<WindowedValue>;
  const batch: RowBatch = { rows: [1, 2], timestamps: Float64Array.from([MIN_TIMESTAMP, GLOBAL_WINDOW_MAX_TIMESTAMP]), windows: { kind: "global" } };
  const w = new ByteWriter();
  encodeElements(coder, batch, w);
  const bytes = w.finish();
  // The end of the global window is Beam's maximum less one day, exactly (beyond float64's integers).
  expect(bytes.readBigUInt64BE(bytes.length - 8 - 4 - 1 - 9) ^ (1n << 63n)).toBe(9223372036854775n - 86_400_000n);
  const back = decodeElements(coder, bytes, (v) => v);
  expect(Array.from(back.timestamps)).toEqual([MIN_TIMESTAMP, GLOBAL_WINDOW_MAX_TIMESTAMP]);
  expect(back.windows).toEqual({ kind: "global" });
  expect(back.panes).toBeUndefined();
});

test("an element in several windows becomes one row per window; grouped values are reshaped", () => {
  const coder = windowedValueCoder(valueCoder, coderFromProto("iw", coders, null)) as Coder<WindowedValue>;
  const w = new ByteWriter();
  coder.encode(
    {
      value: { key: "k", value: [1, 2] },
      timestamp: 5,
      windows: [{ start: 0, end: 10, global: false }, { start: 5, end: 15, global: false }],
      pane: { timing: "on_time", isFirst: true, isLast: true, index: 0, nonSpeculativeIndex: 0 },
    },
    w,
    true,
  );
  const back = decodeElements(coder, w.finish(), (v: any) => ({ key: v.key, values: v.value }));
  expect(back.rows).toEqual([{ key: "k", values: [1, 2] }, { key: "k", values: [1, 2] }]);
  expect(back.windows).toEqual({ kind: "interval", start: Float64Array.from([0, 5]), end: Float64Array.from([10, 15]) });
});
