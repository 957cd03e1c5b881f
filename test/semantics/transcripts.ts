/**
 * Runs Beam's trigger transcripts (the format of Apache Beam's
 * sdks/python/apache_beam/testing/data/trigger_transcripts.yaml, driven the way its
 * trigger_test.py `TestStreamTranscriptTest` drives them) through the direct runner: each transcript
 * becomes a TestStream feeding windowInto and then both a GroupByKey and a concatenating
 * CombinePerKey; every fired pane is compared with the transcript's expectations, action by action.
 *
 * Times are whole seconds (×1000 in Beamline); windows print as [start, max timestamp] and panes'
 * timestamps are truncated to seconds, as Beam's `_windowed_value_info` does.
 */
import * as fs from "node:fs";
import { parseAllDocuments } from "yaml";
import {
  afterAll, afterCount, afterEach, afterFirst, afterProcessingTime, afterWatermark, combinePerKey, defaultTrigger,
  filter, fixedWindows, globalWindows, groupByKey, map, never, orFinally, Pipeline, repeatedly, runPipeline, sessions,
  slidingWindows, testStream, timestamped, windowInto,
} from "beamline";
import type { CombineFn, ElementInfo, PCollection, PTransform, TestStream, TriggerSpec, WindowFnSpec, WindowIntoOptions } from "beamline";

const S = 1000;

/** One transcript, as the YAML file holds it. */
export interface Transcript {
  readonly name: string;
  readonly window_fn?: string;
  readonly trigger_fn?: string;
  readonly timestamp_combiner?: string;
  readonly accumulation_mode?: string;
  readonly allowed_lateness?: number;
  /** For transcripts that must be rejected: the start of the failure's message. */
  readonly error?: string;
  readonly transcript: readonly Record<string, unknown>[];
}

/** A fired pane as Beam's transcripts describe it. */
export interface PaneDescription {
  readonly window: [number, number];
  readonly values: number[];
  readonly timestamp: number;
  readonly index: number;
  readonly nonspeculative_index: number;
  readonly early: boolean;
  readonly late: boolean;
  readonly final: boolean;
}

/** Reads every transcript of a YAML file. */
export function readTranscripts(file: string): Transcript[] {
  return parseAllDocuments(fs.readFileSync(file, "utf8")).map((d) => d.toJS() as Transcript).filter((t) => t && t.name);
}

type Value = TriggerSpec | WindowFnSpec | number | Value[];

/** Parses Beam's Python-syntax calls such as `AfterWatermark(early=AfterCount(2))`. */
function parseCall(src: string, names: Record<string, (args: Value[], kw: Record<string, Value>) => Value>): Value {
  let pos = 0;
  const skip = () => {
    while (src[pos] === " ") pos++;
  };
  const expr = (): Value => {
    skip();
    const num = /^-?\d+(\.\d+)?/.exec(src.slice(pos));
    if (num) {
      pos += num[0].length;
      return Number(num[0]);
    }
    const id = /^[A-Za-z_]\w*/.exec(src.slice(pos));
    if (!id) throw new Error(`cannot parse ${JSON.stringify(src)} at ${pos}`);
    pos += id[0].length;
    const f = names[id[0]];
    if (!f) throw new Error(`unknown name ${id[0]} in ${JSON.stringify(src)}`);
    const args: Value[] = [];
    const kw: Record<string, Value> = {};
    skip();
    if (src[pos] === "(") {
      pos++;
      skip();
      while (src[pos] !== ")") {
        const k = /^([A-Za-z_]\w*)\s*=/.exec(src.slice(pos));
        if (k) {
          pos += k[0].length;
          kw[k[1]] = expr();
        } else args.push(expr());
        skip();
        if (src[pos] === ",") pos++;
        skip();
      }
      pos++;
    }
    return f(args, kw);
  };
  const v = expr();
  skip();
  if (pos !== src.length) throw new Error(`trailing text in ${JSON.stringify(src)}`);
  return v;
}

const WINDOW_FNS: Record<string, (a: Value[]) => Value> = {
  FixedWindows: (a) => fixedWindows((a[0] as number) * S, ((a[1] as number | undefined) ?? 0) * S),
  SlidingWindows: (a) => slidingWindows((a[0] as number) * S, (a[1] as number) * S, ((a[2] as number | undefined) ?? 0) * S),
  Sessions: (a) => sessions((a[0] as number) * S),
  GlobalWindows: () => globalWindows(),
};

const TRIGGERS: Record<string, (a: Value[], kw: Record<string, Value>) => Value> = {
  Default: () => defaultTrigger(),
  AfterWatermark: (_a, kw) => afterWatermark({ ...(kw.early ? { early: kw.early as TriggerSpec } : {}), ...(kw.late ? { late: kw.late as TriggerSpec } : {}) }),
  AfterCount: (a) => afterCount(a[0] as number),
  AfterProcessingTime: (a) => afterProcessingTime(((a[0] as number | undefined) ?? 0) * S),
  Repeatedly: (a) => repeatedly(a[0] as TriggerSpec),
  AfterAny: (a) => afterFirst(...(a as TriggerSpec[])),
  AfterAll: (a) => afterAll(...(a as TriggerSpec[])),
  AfterEach: (a) => afterEach(...(a as TriggerSpec[])),
  OrFinally: (a) => orFinally(a[0] as TriggerSpec, a[1] as TriggerSpec),
  Never: () => never(),
};

const COMBINERS: Record<string, WindowIntoOptions["timestampCombiner"]> = {
  OUTPUT_AT_EOW: "end_of_window",
  OUTPUT_AT_EARLIEST: "earliest",
  OUTPUT_AT_LATEST: "latest",
};

/** Beam's `_ConcatCombineFn`: the values of a pane, as a list. */
export const concat: CombineFn<number, number[], number[]> = {
  createAccumulator: () => [],
  addInput: (acc, x) => (acc.push(x), acc),
  mergeAccumulators: (accs) => accs.flat(),
  extractOutput: (acc) => acc,
};

/** A transcript element: its value under one key. */
export type Row = { key: string; value: number };
type Logged = { marker: number } | { pane: PaneDescription; via: string };

/** One step of a transcript: `input`, `watermark`, `clock`, `expect` or `state`. */
export interface TranscriptAction {
  readonly kind: string;
  readonly params: unknown;
}

/** The steps of a transcript, in order. */
export function actionsOf(t: Transcript): TranscriptAction[] {
  return t.transcript.map((step) => {
    const [kind, params] = Object.entries(step)[0];
    return { kind, params };
  });
}

/** `stream` followed by the TestStream events of action `a` (none for `expect` and `state`). */
export function applyAction(stream: TestStream<Row>, a: TranscriptAction): TestStream<Row> {
  if (a.kind === "input") return stream.addElements(...(a.params as number[]).map((v) => timestamped({ key: "k", value: v }, v * S)));
  if (a.kind === "watermark") return stream.advanceWatermarkTo((a.params as number) * S);
  if (a.kind === "clock") return stream.advanceProcessingTime((a.params as number) * S);
  if (a.kind !== "expect" && a.kind !== "state") throw new Error(`unknown action ${a.kind}`);
  return stream;
}

/** The transcript's windowInto: its window function, trigger, timestamp combiner, accumulation mode and allowed lateness. */
export function transcriptWindowInto(t: Transcript): PTransform<PCollection<Row>, PCollection<Row>> {
  const windowFn = parseCall(t.window_fn ?? "GlobalWindows", WINDOW_FNS) as WindowFnSpec;
  const trigger = parseCall(t.trigger_fn ?? "Default", TRIGGERS) as TriggerSpec;
  const combiner = COMBINERS[t.timestamp_combiner ?? "OUTPUT_AT_EOW"];
  if (!combiner) throw new Error(`timestamp combiner ${t.timestamp_combiner} is not re-expressed`);
  return windowInto<Row>(windowFn, {
    trigger,
    timestampCombiner: combiner,
    accumulation: t.accumulation_mode?.toLowerCase() === "discarding" ? "discarding" : "accumulating",
    allowedLateness: (t.allowed_lateness ?? 0) * S,
  });
}

/** A fired pane of `values` as Beam's transcripts describe it (seconds; windows as [start, max timestamp]). */
export function describePane(values: readonly number[], info: ElementInfo): PaneDescription {
  return {
    window: info.window.global ? [-Infinity, Infinity] : [Math.floor(info.window.start / S), Math.floor((info.window.end - 1) / S)],
    values: [...values].sort((a, b) => a - b),
    timestamp: Math.floor(info.timestamp / S),
    index: info.pane.index,
    nonspeculative_index: info.pane.nonSpeculativeIndex,
    early: info.pane.timing === "early",
    late: info.pane.timing === "late",
    final: info.pane.isLast,
  };
}

/** Whether `pane` has every attribute `expected` gives (Beam's transcript matching). */
export function paneMatches(pane: PaneDescription, expected: Partial<PaneDescription>): boolean {
  return Object.entries(expected).every(([key, v]) => JSON.stringify(pane[key as keyof PaneDescription]) === JSON.stringify(v));
}

/**
 * Runs a transcript and returns the failure Beam's transcript test would report (`Unmatched
 * output …` or `Unexpected output …`), or null when every pane matches, checking the GroupByKey's
 * panes and the CombinePerKey's.
 */
export async function runTranscript(t: Transcript): Promise<string | null> {
  // Each action is followed by a marker row, logged as it passes: the panes an action fires are logged
  // between its marker and the one before (the direct runner delivers each TestStream event downstream
  // before the next).
  let stream = testStream<Row>();
  const actions = actionsOf(t);
  let watermark = -Infinity;
  actions.forEach((a, i) => {
    stream = applyAction(stream, a);
    if (a.kind === "watermark") watermark = (a.params as number) * S;
    if (a.kind !== "expect") stream = stream.addElements(timestamped({ key: "marker", value: i }, Math.max(watermark, 0)));
  });
  const log: Logged[] = [];
  const p = new Pipeline();
  const events = p.apply(stream);
  events.apply(filter<Row>((r) => r.key === "marker")).apply(map<Row, number>((r) => (log.push({ marker: r.value }), r.value)));
  const windowed = events.apply(filter<Row>((r) => r.key !== "marker")).apply(transcriptWindowInto(t));
  windowed
    .apply(groupByKey<string, number>())
    .apply(map<{ key: string; values: number[] }, number>((g, info) => (log.push({ pane: describePane(g.values, info), via: "GroupByKey" }), 0)));
  windowed
    .apply(combinePerKey<string, number, number[]>(concat))
    .apply(map<{ key: string; value: number[] }, number>((g, info) => (log.push({ pane: describePane(g.value, info), via: "CombinePerKey" }), 0)));
  await runPipeline(p, { parallelism: 1 });
  for (const via of ["GroupByKey", "CombinePerKey"]) {
    const failure = check(actions, log, via);
    if (failure) return `${failure} (${via})`;
  }
  return null;
}

/** Compares the logged panes of one aggregation with the expectations, as Beam's TriggerDriverTranscriptTest does. */
function check(actions: readonly TranscriptAction[], log: readonly Logged[], via: string): string | null {
  // The panes each action fired: those logged before its marker and after the previous marker.
  const fired = new Map<number, PaneDescription[]>();
  let current: PaneDescription[] = [];
  for (const e of log) {
    if ("marker" in e) {
      fired.set(e.marker, current);
      current = [];
    } else if (e.via === via) current.push(e.pane);
  }
  let output: PaneDescription[] = [];
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i];
    if (a.kind === "expect") {
      for (const expected of a.params as Partial<PaneDescription>[]) {
        const k = output.findIndex((c) => paneMatches(c, expected));
        if (k < 0) return `Unmatched output ${JSON.stringify(expected)} in ${JSON.stringify(output)}`;
        output.splice(k, 1);
      }
      continue;
    }
    if (output.length > 0) return `Unexpected output: ${JSON.stringify(output)} before ${a.kind}: ${JSON.stringify(a.params)}`;
    output = [...(fired.get(i) ?? [])];
  }
  // Panes fired after the last marker (at the end of input, the watermark at infinity) are not part
  // of the transcript: Beam's driver never advances the watermark to infinity itself.
  if (output.length > 0) return `Unexpected output: ${JSON.stringify(output)}`;
  return null;
}
