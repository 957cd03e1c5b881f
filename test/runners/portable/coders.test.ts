/**
 * Beam's cross-SDK coder test vectors (standard_coders.yaml, taken from Beam's model jar at test time):
 * every example decodes to the documented value and, where the coder is deterministic, re-encodes to
 * the same bytes.
 */
import * as fs from "node:fs";
import { parseAllDocuments } from "yaml";
import { Coder, CoderProto, coderFromProto, StateBackedIterable } from "../../../runners/portable/coders/coders";
import { beamProtos, standardCodersYaml } from "../../../runners/portable/model/protos";
import { ByteReader, ByteWriter, instantOf, readTimestamp, writeTimestamp } from "../../../runners/portable/coders/wire";
import { GLOBAL_WINDOW, GLOBAL_WINDOW_MAX_TIMESTAMP, MAX_TIMESTAMP, MIN_TIMESTAMP } from "beamline";
import { describeWith } from "./requirements";

interface Spec {
  urn: string;
  payload?: string;
  components?: Spec[];
  non_deterministic?: boolean;
  /** State contents by token, for state-backed iterables. */
  state?: Record<string, string>;
}

/** Coders Beamline does not implement: runners never send them to a Beamline harness. */
const NOT_IMPLEMENTED = new Set(["beam:coder:custom_window:v1"]);

function build(spec: Spec): Coder {
  const coders: Record<string, CoderProto> = {};
  let n = 0;
  const add = (s: Spec): string => {
    const id = `c${n++}`;
    const components = (s.components ?? []).map(add);
    coders[id] = { spec: { urn: s.urn, payload: s.payload ? Buffer.from(s.payload, "latin1") : undefined }, componentCoderIds: components };
    return id;
  };
  const root = add(spec);
  return coderFromProto(root, coders, beamProtos());
}

/** Whether a decoded value matches the YAML's description of it. */
function matches(actual: unknown, expected: unknown): boolean {
  if (expected === null || expected === undefined) return actual === null || actual === undefined;
  if (actual instanceof Uint8Array) return typeof expected === "string" && Buffer.from(actual).toString("latin1") === expected;
  if (typeof expected === "bigint" || typeof expected === "number") {
    if (typeof actual === "bigint") return BigInt(actual) === BigInt(expected);
    if (typeof actual !== "number") return false;
    return actual === Number(expected);
  }
  if (typeof expected === "string" && typeof actual === "number") {
    const e = Number(expected);
    if (Number.isNaN(e)) return Number.isNaN(actual);
    return Object.is(actual, e) || Object.is(actual, Math.fround(e));
  }
  if (typeof expected === "string" && typeof actual === "string") return actual === expected || Number(actual) === Number(expected);
  if (Array.isArray(expected)) {
    if (typeof actual === "string") return Buffer.from(actual, "utf8").equals(Buffer.from(expected.map(Number)));
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matches(actual[i], e));
  }
  if (typeof expected === "object") {
    const a = actual instanceof Map ? Object.fromEntries(actual) : (actual as Record<string, unknown>);
    return Object.entries(expected as Record<string, unknown>).every(([k, e]) => matches(a?.[k], e));
  }
  return actual === expected;
}

/** Rewrites a decoded value into the YAML's shapes for the coders whose shapes differ from Beamline's. */
function yamlShape(urn: string, v: any, spec: Spec): unknown {
  const window = (w: any) => (w.global ? "global" : { end: w.end, span: w.end - w.start });
  const pane = (p: any) => ({ is_first: p.isFirst, is_last: p.isLast, timing: p.timing.toUpperCase(), index: p.index, on_time_index: p.nonSpeculativeIndex });
  switch (urn) {
    case "beam:coder:windowed_value:v1":
    case "beam:coder:param_windowed_value:v1":
      return { value: yamlShape(spec.components![0].urn, v.value, spec.components![0]), timestamp: v.timestamp, pane: pane(v.pane), windows: v.windows.map(window) };
    case "beam:coder:timer:v1":
      return { ...v, windows: v.windows.map(window), ...(v.pane ? { pane: pane(v.pane) } : {}) };
    case "beam:coder:interval_window:v1":
    case "beam:coder:global_window:v1":
      return v.global ? "" : window(v);
    case "beam:coder:iterable:v1":
    case "beam:coder:state_backed_iterable:v1":
      return v.map((x: unknown) => yamlShape(spec.components![0].urn, x, spec.components![0]));
    case "beam:coder:kv:v1":
      return { key: yamlShape(spec.components![0].urn, v.key, spec.components![0]), value: yamlShape(spec.components![1].urn, v.value, spec.components![1]) };
    case "beam:coder:row:v1":
      // millis_instant fields: the YAML shows the raw big-endian long (the instant with its sign bit flipped).
      if (typeof v.f_timestamp === "number") return { ...v, f_timestamp: BigInt.asIntN(64, BigInt(v.f_timestamp) ^ (1n << 63n)) };
      return v;
    default:
      return v;
  }
}

describeWith(["mvn", "java"], "standard coders (Beam's standard_coders.yaml)", () => {
  let docs: { coder: Spec; nested?: boolean; examples: Record<string, unknown> }[] = [];
  beforeAll(() => {
    const text = fs.readFileSync(standardCodersYaml(), "utf8");
    docs = parseAllDocuments(text, { intAsBigInt: true }).map((d) => d.toJS()).filter((d) => d && d.coder);
  }, 300_000);

  test("every example of every implemented coder decodes and re-encodes", () => {
    expect(docs.length).toBeGreaterThan(30);
    let checked = 0;
    const skipped = new Set<string>();
    const failures: string[] = [];
    const approximate: string[] = [];
    for (const doc of docs) {
      if (NOT_IMPLEMENTED.has(doc.coder.urn)) {
        skipped.add(doc.coder.urn);
        continue;
      }
      const coder = build(doc.coder);
      const contexts = doc.nested === undefined ? [false, true] : [doc.nested];
      for (const [encoded, expected] of Object.entries(doc.examples)) {
        const bytes = Buffer.from(encoded, "latin1");
        for (const nested of contexts) {
          const where = `${doc.coder.urn}${doc.coder.components ? `(${doc.coder.components.map((c) => c.urn).join(", ")})` : ""} nested=${nested} ${JSON.stringify(encoded).slice(0, 60)}`;
          try {
            const r = new ByteReader(bytes);
            let decoded = coder.decode(r, nested);
            if (decoded instanceof StateBackedIterable) decoded = decoded.complete(Buffer.from(doc.coder.state![decoded.token.toString("latin1")], "latin1"));
            if (!r.done) throw new Error(`${r.remaining} byte(s) left over`);
            const shaped = yamlShape(doc.coder.urn, decoded, doc.coder);
            const timestamped = /window|timer/.test(doc.coder.urn);
            if (timestamped && beyondFloatPrecision(expected)) approximate.push(where);
            else if (!matches(shaped, expected)) throw new Error(`decoded ${String(JSON.stringify(shaped, (_k, x) => (typeof x === "bigint" ? `${x}n` : x)))}`);
            if (!doc.coder.non_deterministic && !(timestamped && beyondFloatPrecision(expected))) {
              const w = new ByteWriter();
              coder.encode(decoded, w, nested);
              const again = w.finish();
              if (!again.equals(bytes)) throw new Error(`re-encoded as ${JSON.stringify(again.toString("latin1"))}`);
            }
            checked++;
          } catch (e) {
            failures.push(`${where}: ${(e as Error).message}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // Only the examples with timestamps near Beam's minimum (beyond 2^53 ms) are checked by decoding alone.
    expect(approximate.length).toBeLessThanOrEqual(8);
    expect([...skipped]).toEqual([...NOT_IMPLEMENTED]);
    expect(checked).toBeGreaterThan(150);
  });
});

/** Timestamps beyond 2^53 ms cannot be held exactly by Beamline's float64 timestamps; such examples are only decoded. */
function beyondFloatPrecision(v: unknown): boolean {
  if (typeof v === "bigint") return v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER);
  if (Array.isArray(v)) return v.some(beyondFloatPrecision);
  if (v && typeof v === "object") return Object.values(v).some(beyondFloatPrecision);
  return false;
}

test("a timer whose count of windows is more than its bytes is refused, not decoded into ever more global windows", () => {
  const coders: Record<string, CoderProto> = {
    k: { spec: { urn: "beam:coder:string_utf8:v1" }, componentCoderIds: [] },
    w: { spec: { urn: "beam:coder:global_window:v1" }, componentCoderIds: [] },
    t: { spec: { urn: "beam:coder:timer:v1" }, componentCoderIds: ["k", "w"] },
  };
  const timer = coderFromProto("t", coders, null);
  const w = new ByteWriter();
  timer.encode({ userKey: "cy", dynamicTimerTag: "", windows: [GLOBAL_WINDOW], clearBit: false, fireTimestamp: 5, holdTimestamp: 5 }, w, true);
  const good = Buffer.from(w.finish());
  expect(timer.decode(new ByteReader(good), true)).toMatchObject({ userKey: "cy", fireTimestamp: 5 });
  // The count (after the key's 3 bytes and the tag's 1) garbled to 1000 with the rest of the timer still there.
  const garbled = Buffer.from(good);
  garbled.writeInt32BE(1000, 4);
  expect(() => timer.decode(new ByteReader(garbled), true)).toThrow(/a timer's count of windows is more than the \d+ byte\(s\) left/);
});

describe("Beam's instant encoding of timestamps", () => {
  const SIGN = 1n << 63n;
  /** What the encoding is by definition: the instant as a big-endian int64 with its sign bit flipped. */
  const reference = (ms: number) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt.asIntN(64, BigInt.asUintN(64, instantOf(ms)) ^ SIGN));
    return b;
  };
  const MS = [
    0, 1, -1, 123.9, -1.5, 1_733_580_000_000, -62_135_596_800_000, 2 ** 31, -(2 ** 31), 2 ** 32 - 1, 2 ** 32, -(2 ** 32), -(2 ** 32) - 1,
    2 ** 53 - 1, -(2 ** 53) + 1, -(2 ** 53), 2 ** 53, 2 ** 60, -(2 ** 60), MIN_TIMESTAMP, MAX_TIMESTAMP, GLOBAL_WINDOW_MAX_TIMESTAMP, GLOBAL_WINDOW_MAX_TIMESTAMP + 1,
  ];

  test("writes every timestamp, near zero, past 32 bits and at Beam's bounds, as the int64 definition says", () => {
    for (const ms of MS) {
      const w = new ByteWriter();
      writeTimestamp(w, ms);
      expect([ms, w.finish().toString("hex")]).toEqual([ms, reference(ms).toString("hex")]);
    }
  });

  test("reads back the floor of every timestamp, Beam's bounds as Beamline's constants", () => {
    for (const ms of MS) {
      const expected = ms <= MIN_TIMESTAMP ? MIN_TIMESTAMP : ms >= MAX_TIMESTAMP ? MAX_TIMESTAMP : ms === GLOBAL_WINDOW_MAX_TIMESTAMP || ms === GLOBAL_WINDOW_MAX_TIMESTAMP + 1 ? ms : Math.floor(ms);
      const r = new ByteReader(Buffer.concat([reference(ms), Buffer.from([7])]));
      expect([ms, readTimestamp(r)]).toEqual([ms, expected]);
      // Exactly eight bytes were read, whichever way.
      expect(r.byte()).toBe(7);
    }
  });
});
