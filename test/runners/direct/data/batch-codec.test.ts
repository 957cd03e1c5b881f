import * as arrow from "apache-arrow";
import { MessageChannel, receiveMessageOnPort } from "node:worker_threads";
import { ElementBatch, GLOBAL_WINDOWS } from "beamline";
import { decodeBatch, encodeBatch, WireBatch } from "../../../../runners/direct/data/batch-codec";

function mixedBatch(): ElementBatch {
  const n = 5;
  const dict = arrow.vectorFromArray(["red", "green", null, "red", "blue"], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()));
  const table = arrow.tableFromArrays({
    f64: Float64Array.from([1.5, -2, 3.25, NaN, 0]),
    i32: Int32Array.from([1, 2, 3, 4, 5]),
  });
  const cols: Record<string, arrow.Vector> = {
    f64: table.getChild("f64")!,
    i32: table.getChild("i32")!,
    big: arrow.vectorFromArray([1n, -(2n ** 62n), null, 4n, 5n], new arrow.Int64()),
    s: arrow.vectorFromArray(["a", "héllo", null, "", "z".repeat(100)], new arrow.Utf8()),
    b: arrow.vectorFromArray([true, false, null, true, false], new arrow.Bool()),
    list: arrow.vectorFromArray([[1, 2], [], null, [3], [4, 5, 6]], new arrow.List(new arrow.Field("item", new arrow.Float64(), true))),
    st: arrow.vectorFromArray(
      [{ x: 1, y: "a" }, { x: 2, y: null }, null, { x: 4, y: "d" }, { x: 5, y: "e" }],
      new arrow.Struct([new arrow.Field("x", new arrow.Int32(), true), new arrow.Field("y", new arrow.Utf8(), true)]),
    ),
    d: dict,
    nul: arrow.vectorFromArray([null, null, null, null, null], new arrow.Null()),
  };
  const data = new arrow.RecordBatch(Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.data[0]])));
  return {
    data,
    timestamps: Float64Array.from([10, 20, 30, 40, 50]),
    windows: { kind: "interval", start: Float64Array.from([0, 0, 0, 0, 0]), end: Float64Array.from([100, 100, 100, 100, 100]) },
    panes: { flags: Uint8Array.from([1, 2, 3, 4, 5]), index: Int32Array.from([0, 1, 2, 3, n]) },
  };
}

function rows(b: ElementBatch): unknown[] {
  return b.data.toArray().map((r) => JSON.parse(JSON.stringify(r.toJSON(), (_k, v) => (typeof v === "bigint" ? `${v}n` : v))));
}

/** Posts through a real MessagePort (structured clone with the transfer list) and receives it back. */
function throughPort(message: WireBatch, transfer: ArrayBuffer[]): WireBatch {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(message, transfer);
  const got = receiveMessageOnPort(port2)!.message as WireBatch;
  port1.close();
  return got;
}

describe("batch codec", () => {
  test("round-trips every column type with metadata columns", () => {
    const batch = mixedBatch();
    const expected = rows(batch);
    const enc = encodeBatch(batch, false);
    const back = decodeBatch(throughPort(enc.message, enc.transfer));
    expect(rows(back)).toEqual(expected);
    expect(back.data.schema.fields.map((f) => String(f.type))).toEqual(batch.data.schema.fields.map((f) => String(f.type)));
    expect(back.data.getChild("d")!.type).toBeInstanceOf(arrow.Dictionary);
    expect(Array.from(back.timestamps)).toEqual([10, 20, 30, 40, 50]);
    expect(back.windows.kind).toBe("interval");
    expect(Array.from(back.panes!.index)).toEqual([0, 1, 2, 3, 5]);
    // Not owned: the sender's batch is intact.
    expect(rows(batch)).toEqual(expected);
    expect(enc.transferredBytes).toBe(0);
  });

  test("an owned batch moves without copying: the sender's buffers are detached, the receiver's are the same memory", () => {
    const values = new Float64Array(1 << 16).map((_, i) => i * 0.5);
    const keys = new Int32Array(1 << 16).map((_, i) => i % 7);
    const data = new arrow.RecordBatch({
      k: arrow.makeData({ type: new arrow.Int32(), length: keys.length, data: keys }),
      v: arrow.makeData({ type: new arrow.Float64(), length: values.length, data: values }),
    });
    const ts = new Float64Array(1 << 16);
    const batch: ElementBatch = { data, timestamps: ts, windows: GLOBAL_WINDOWS };
    const valuesBuffer = (data.getChild("v")!.data[0].values as Float64Array).buffer;
    expect(valuesBuffer.byteLength).toBe(8 << 16);
    const enc = encodeBatch(batch, true);
    expect(enc.copiedBytes).toBe(0);
    expect(enc.transferredBytes).toBeGreaterThanOrEqual((8 + 4 + 8) << 16);
    const got = throughPort(enc.message, enc.transfer);
    expect(valuesBuffer.byteLength).toBe(0); // detached: moved, not copied
    expect(ts.buffer.byteLength).toBe(0);
    const back = decodeBatch(got);
    const v = back.data.getChild("v")!.data[0].values as Float64Array;
    expect(v.buffer.byteLength).toBe(8 << 16); // the received buffer itself, not a copy into another
    expect(v[12345]).toBe(12345 * 0.5);
    expect((back.data.getChild("k")!.data[0].values as Int32Array)[12345]).toBe(12345 % 7);
  });

  test("views into a larger buffer are copied to exact size, sliced data keeps its rows", () => {
    const big = arrow.tableFromArrays({ v: new Float64Array(1000).map((_, i) => i) }).batches[0];
    const slice = big.slice(100, 110);
    const batch: ElementBatch = { data: slice, timestamps: new Float64Array(10), windows: GLOBAL_WINDOWS };
    const enc = encodeBatch(batch, true);
    const back = decodeBatch(throughPort(enc.message, enc.transfer));
    expect(Array.from(back.data.getChild("v")!.toArray())).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
    // The 8000-byte values buffer of the whole column is not dragged along, nor detached.
    expect(enc.copiedBytes).toBeLessThan(8000);
    expect((big.getChild("v")!.data[0].values as Float64Array).buffer.byteLength).toBe(8000);
  });

  test("dictionaries are copied even for owned batches (they are shared between batches)", () => {
    const batch = mixedBatch();
    const dictionary = batch.data.getChild("d")!.data[0].dictionary!;
    const enc = encodeBatch(batch, true);
    throughPort(enc.message, enc.transfer);
    expect(dictionary.toArray()).toEqual(["red", "green", "blue"]);
  });
});
