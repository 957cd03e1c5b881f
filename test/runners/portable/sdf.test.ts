/**
 * The harness's splittable DoFn pieces for source reads: restrictions as bytes, the checkpointed read
 * (a bounded time per bundle, stopping at a reported position, with the rest of a source's wait as the
 * resume delay), and the process step's residuals (the input element with the remaining restriction,
 * encoded as the runner sent it, with output watermarks), which resume with nothing lost or repeated.
 */
import { MIN_TIMESTAMP } from "beamline";
import { coderFromProto, CODER_URNS, type Coder, type WindowedValue } from "../../../runners/portable/coders/coders";
import { ByteReader } from "../../../runners/portable/coders/wire";
import { checkpointedRead } from "../../../runners/portable/harness/checkpointed-read";
import { toRowBatch, type Elements, type RowBatch } from "../../../runners/portable/harness/elements/elements";
import { residualRoot } from "../../../runners/portable/harness/residual";
import { decodeRestriction, encodeRestriction, INITIAL_RESTRICTION } from "../../../runners/portable/harness/restriction";
import { processSized } from "../../../runners/portable/harness/sdf";
import { beamProtos } from "../../../runners/portable/model/protos";
import { ImpulseSource, SequenceSource } from "../../../transforms/sources";
import { describeWith } from "./requirements";

/** The windowed coder of the process step's input, as Prism declares it: KV<KV<part bytes, restriction bytes>, size double> in the global window. */
function sizedInputCoder(): Coder<WindowedValue> {
  const c = (urn: string, ...componentCoderIds: string[]) => ({ spec: { urn }, componentCoderIds });
  const coders = {
    wv: c(CODER_URNS.windowedValue, "kvs", "gw"),
    kvs: c(CODER_URNS.kv, "kv", "size"),
    kv: c(CODER_URNS.kv, "bytes", "bytes"),
    bytes: c(CODER_URNS.bytes),
    size: c(CODER_URNS.double),
    gw: c(CODER_URNS.globalWindow),
  };
  return coderFromProto("wv", coders, null) as Coder<WindowedValue>;
}

/** A paced, event-timed unbounded sequence: element i at i * 10 ms, 200 a second. */
function paced(): SequenceSource {
  return new SequenceSource({ from: 0, batchSize: 5, ratePerSecond: 200, eventTime: { start: 0, interval: 10 } });
}

const PART = Buffer.from(JSON.stringify({ from: 0, to: null }));

/** One sized element in the global window at the minimum timestamp, as the runner sends it. */
function sizedElement(restriction: Uint8Array): RowBatch {
  return { rows: [{ key: { key: PART, value: restriction }, value: 1 }], timestamps: new Float64Array([MIN_TIMESTAMP]), windows: { kind: "global" } };
}

/** Runs the process step once over `input`; resolves to the numbers it emitted and the residual roots it left. */
async function processOnce(source: SequenceSource, input: RowBatch, budgetMs: number): Promise<{ values: number[]; residuals: any[]; reached: unknown[] }> {
  const values: number[] = [];
  const residuals: any[] = [];
  const reached: unknown[] = [];
  const op = processSized({
    transform: "Numbers",
    source,
    outputs: { main: "Numbers.out" },
    emit: (_pc: string, b: Elements) => void values.push(...(toRowBatch(b).rows as number[])),
    transformId: "e_process",
    inputId: "main",
    inputCoder: sizedInputCoder(),
    budgetMs,
    residual: (root) => residuals.push(root),
    reached: (part, position) => reached.push({ part, position }),
  });
  await op.process("in", input);
  return { values, residuals, reached };
}

/** The sized element a residual root carries, decoded as the runner would feed it back. */
function residualElement(root: any): { wv: WindowedValue; restriction: ReturnType<typeof decodeRestriction> } {
  const wv = sizedInputCoder().decode(new ByteReader(Buffer.from(root.application.element)), true);
  return { wv, restriction: decodeRestriction(wv.value.key.value) };
}

test("a restriction travels as bytes and comes back equal; bytes no harness wrote are refused as the runner's fault", () => {
  const r = { position: { next: 7, start: 1234 }, watermark: 99 };
  expect(decodeRestriction(encodeRestriction(r))).toEqual(r);
  expect(decodeRestriction(encodeRestriction(INITIAL_RESTRICTION))).toEqual({ position: null, watermark: MIN_TIMESTAMP });
  expect(() => decodeRestriction(Buffer.from("not json"))).toThrow(expect.objectContaining({ code: "BL_BAD_RESTRICTION", domain: "external" }));
  expect(() => decodeRestriction(Buffer.from('{"position":1}'))).toThrow(expect.objectContaining({ code: "BL_BAD_RESTRICTION" }));
});

test("a checkpointed read stops after its budget at the last position delivered, with the watermark so far; resuming from it repeats and skips nothing", async () => {
  const source = paced();
  const first: number[] = [];
  const started = Date.now();
  const a = await checkpointedRead(source, { from: 0, to: null }, INITIAL_RESTRICTION, { budgetMs: 300 }, (c) => void first.push(...Array.from(c.batch!.data.getChildAt(0)!.toArray() as Float64Array)));
  expect(Date.now() - started).toBeLessThan(1000);
  expect(first.length).toBeGreaterThan(20);
  expect(first).toEqual(first.map((_, i) => i));
  expect(a.residual).toEqual({ position: first.length, watermark: (first.length - 1) * 10, lastDataAt: expect.any(Number) });
  const second: number[] = [];
  const b = await checkpointedRead(source, { from: 0, to: null }, a.residual!, { budgetMs: 200 }, (c) => void second.push(...Array.from(c.batch!.data.getChildAt(0)!.toArray() as Float64Array)));
  expect(second[0]).toBe(first.length);
  expect(second).toEqual(second.map((_, i) => first.length + i));
  expect(b.residual!.watermark).toBe((first.length + second.length - 1) * 10);
});

test("a part that ends leaves no residual", async () => {
  const source = new SequenceSource({ from: 0, to: 12, batchSize: 5 });
  const values: number[] = [];
  const out = await checkpointedRead(source, { from: 0, to: 12 }, INITIAL_RESTRICTION, { budgetMs: 5000 }, (c) => void values.push(c.batch!.data.numRows));
  expect(values).toEqual([5, 5, 2]);
  expect(out).toEqual({ residual: null, position: 12, delayMs: 0, backlog: 0 });
});

test("a source waiting past the budget is stopped at the budget, and the residual asks the runner to wait out the rest of its wait", async () => {
  const source = new ImpulseSource({ interval: 1000 });
  const started = Date.now();
  const out = await checkpointedRead(source, 0, INITIAL_RESTRICTION, { budgetMs: 200 }, () => {});
  const took = Date.now() - started;
  expect(took).toBeGreaterThanOrEqual(190);
  expect(took).toBeLessThan(700);
  expect((out.residual!.position as { next: number }).next).toBe(1);
  expect(out.delayMs).toBeGreaterThan(600);
  expect(out.delayMs).toBeLessThanOrEqual(810);
});

test("the process step hands back a residual: the same part and window, the remaining restriction, the watermark on every output; fed back, it continues exactly", async () => {
  const source = paced();
  const one = await processOnce(source, sizedElement(encodeRestriction(INITIAL_RESTRICTION)), 300);
  expect(one.values).toEqual(one.values.map((_, i) => i));
  expect(one.residuals).toHaveLength(1);
  const root = one.residuals[0];
  expect(root.application).toMatchObject({ transformId: "e_process", inputId: "main", isBounded: "UNBOUNDED" });
  const last = (one.values.length - 1) * 10;
  expect(root.application.outputWatermarks).toEqual({ main: { seconds: Math.floor(last / 1000), nanos: (last % 1000) * 1e6 } });
  const { wv, restriction } = residualElement(root);
  expect(Buffer.from(wv.value.key.key).equals(PART)).toBe(true);
  expect(wv.timestamp).toBe(MIN_TIMESTAMP);
  expect(wv.windows).toEqual([expect.objectContaining({ global: true })]);
  expect(restriction).toEqual({ position: one.values.length, watermark: last, lastDataAt: expect.any(Number) });
  // The position reached is recorded for the bundle's finalization.
  expect(one.reached).toEqual([{ part: { from: 0, to: null }, position: one.values.length }]);
  const two = await processOnce(source, sizedElement(wv.value.key.value), 200);
  expect(two.values[0]).toBe(one.values.length);
  expect(two.values).toEqual(two.values.map((_, i) => one.values.length + i));
});

describeWith(["mvn", "java"], "residual roots on the wire", () => {
  test("a residual root is a valid DelayedBundleApplication: watermarks per output, the delay, and no watermark while it is at the minimum", () => {
    const protos = beamProtos();
    const wire = (root: Record<string, unknown>) => protos.decode("fn.ProcessBundleResponse", protos.encode("fn.ProcessBundleResponse", { residualRoots: [root] })).residualRoots[0];
    const element = Buffer.from([1, 2, 3]);
    const held = wire(residualRoot({ transformId: "t", inputId: "i0", element, outputs: ["main", "deadLetter"], watermark: 61_500, delayMs: 250 }));
    expect(held.application.transformId).toBe("t");
    expect(held.application.inputId).toBe("i0");
    expect(Buffer.from(held.application.element).equals(element)).toBe(true);
    expect(held.application.isBounded).toBe("UNBOUNDED");
    expect(held.application.outputWatermarks).toEqual({ main: { seconds: 61, nanos: 500_000_000 }, deadLetter: { seconds: 61, nanos: 500_000_000 } });
    expect(held.requestedTimeDelay).toEqual({ seconds: 0, nanos: 250_000_000 });
    const fresh = wire(residualRoot({ transformId: "t", inputId: "i0", element, outputs: ["main"], watermark: MIN_TIMESTAMP, delayMs: 0 }));
    expect(fresh.application.outputWatermarks).toEqual({});
    expect(fresh.requestedTimeDelay).toBeNull();
  });
});
