/**
 * Assertions on the contents of PCollections, checked when the run completes (Beam's PAssert).
 * `assertThat(pc)` adds a sink to the pipeline that keeps every row with its timestamp, window and
 * pane; when the run finishes, each assertion is checked against what its sink received and, if any
 * failed, the run rejects with one {@link AssertionFailedError} listing every failure with a diff of
 * expected and actual rows per window and pane.
 */
import type { PaneInfo } from "../../sdk/batch";
import { BeamlineError, describeValue } from "../../sdk/errors";
import { valueKey } from "../../sdk/state";
import type { PCollection } from "../../sdk/pcollection";
import type { Pipeline } from "../../sdk/pipeline";
import { type SinkWriter, type WriterContext, WRITE_URN } from "../../sdk/sink";
import { durationMs, formatTimestamp } from "../../sdk/time";
import { PTransform, type ExpandContext } from "../../sdk/transform";
import { GLOBAL_WINDOW, type Window } from "../../sdk/window";
import { ElementSink, type CollectedElement } from "./collect";
import * as arrow from "apache-arrow";

/** A window to narrow an assertion to: `"global"`, the global window, or an interval `{start, end}` (ms, end exclusive). */
export type AssertWindow = "global" | Window | { readonly start: number; readonly end: number };

/**
 * The interval window `[start, end)`, or `[start, start + size)` when the second argument is `{size}`
 * (ms or a duration such as "1m").
 * @example assertThat(counts).inOnTimePane(intervalWindow(0, { size: "1m" })).containsInAnyOrder([...])
 */
export function intervalWindow(start: number, end: number | { readonly size: number | string }): Window {
  const e = typeof end === "number" ? end : start + durationMs(end.size);
  if (!(e > start)) throw new RangeError(`an interval window must end after it starts: [${start}, ${e})`);
  return { start, end: e, global: false };
}

/** Which panes of the selected window(s) an assertion looks at. */
export type PaneSelection = "all" | "only" | "on_time" | "final" | "early" | "late";

/** One failed assertion, as structured data. */
export interface AssertionFailure {
  /** The unique name of the assertion's transform. */
  readonly transform: string;
  /** What was asserted, e.g. `containsInAnyOrder in the on-time pane of window [..)`. */
  readonly description: string;
  /** Expected rows that were not found (as many times as they were missing). */
  readonly missing: readonly unknown[];
  /** Rows found that were not expected. */
  readonly unexpected: readonly unknown[];
  /** The readable report of this failure. */
  readonly report: string;
}

/** Raised by `runPipeline` when one or more assertions failed; the message holds every diff. */
export class AssertionFailedError extends BeamlineError {
  /** Every failed assertion of the run. */
  readonly failures: readonly AssertionFailure[];

  constructor(failures: readonly AssertionFailure[], total: number) {
    super({
      code: "BL_ASSERTION_FAILED",
      rule: `${failures.length} of ${total} assertion(s) failed`,
      fix: "Compare the expected rows with the actual rows per window and pane listed below",
    });
    this.failures = failures;
    this.message += `\n\n${failures.map((f) => f.report).join("\n\n")}`;
  }
}

/** A check on the selected rows: null when it holds, else what went wrong. */
type Check<T> = (selected: CollectedElement<T>[]) => null | { missing: unknown[]; unexpected: CollectedElement<T>[]; reason: string };

interface Selection {
  /** The window, or null for every window. */
  readonly window: Window | null;
  readonly panes: PaneSelection;
}

/**
 * Assertions about one PCollection, narrowed to a window and panes. Each terminal method
 * (`containsInAnyOrder`, `equals`, `satisfies`, `empty`) adds one check to the pipeline and returns
 * the same narrowed assertion, so several checks can follow one another.
 */
export class PCollectionAssert<T> {
  /** @internal Use {@link assertThat}. */
  constructor(
    private readonly pc: PCollection<T>,
    private readonly name: string | undefined,
    private readonly selection: Selection,
  ) {}

  /** Only rows in `window` (the global window when absent), all panes together. */
  inWindow(window?: AssertWindow): PCollectionAssert<T> {
    return this.narrow(window, "all");
  }

  /** The single pane of `window` (global when absent); fails if the window fired more than once. */
  inOnlyPane(window?: AssertWindow): PCollectionAssert<T> {
    return this.narrow(window, "only");
  }

  /** The on-time pane of `window` (global when absent); rows never grouped count as on time. */
  inOnTimePane(window?: AssertWindow): PCollectionAssert<T> {
    return this.narrow(window, "on_time");
  }

  /** The final pane of `window` (global when absent); rows never grouped count as final. */
  inFinalPane(window?: AssertWindow): PCollectionAssert<T> {
    return this.narrow(window, "final");
  }

  /** All early (speculative) panes of `window` (global when absent), together. */
  inEarlyPanes(window?: AssertWindow): PCollectionAssert<T> {
    return this.narrow(window, "early");
  }

  /** All late panes of `window` (global when absent), together. */
  inLatePanes(window?: AssertWindow): PCollectionAssert<T> {
    return this.narrow(window, "late");
  }

  /**
   * The selected rows are exactly `expected` as a multiset: each expected row occurs as many times
   * as it is listed, and there is nothing else. Rows compare by value (object key order does not
   * matter; an integer number equals the same bigint).
   */
  containsInAnyOrder(expected: readonly T[]): this {
    const want = [...expected];
    return this.check(`containsInAnyOrder(${want.length} row(s))`, (sel) => {
      const { missing, unexpected } = multisetDiff(want, sel);
      return missing.length === 0 && unexpected.length === 0 ? null : { missing, unexpected, reason: "the rows differ" };
    });
  }

  /**
   * The selection holds exactly one row and it equals `expected` (Beam's `thatSingleton(pc).isEqualTo`).
   * For a PCollection of lists (say grouped values), `expected` is the one list.
   */
  equals(expected: T): this {
    return this.check(`equals(${describeValue(expected, 60)})`, (sel) => {
      if (sel.length === 1 && valueKey(sel[0].value) === valueKey(expected)) return null;
      const { missing, unexpected } = multisetDiff([expected], sel);
      const reason = sel.length === 1 ? "the one row differs" : `expected exactly one row, found ${sel.length}`;
      return { missing, unexpected, reason };
    });
  }

  /** The selection holds no rows. */
  empty(): this {
    return this.check("empty()", (sel) => (sel.length === 0 ? null : { missing: [], unexpected: sel, reason: "expected no rows" }));
  }

  /**
   * `fn` accepts the selected rows: it returns true or nothing to pass, and returns false or throws
   * (its message is reported) to fail.
   */
  satisfies(fn: (rows: T[]) => boolean | void, description = fn.name || "predicate"): this {
    return this.check(`satisfies(${description})`, (sel) => {
      let verdict: boolean | void;
      try {
        verdict = fn(sel.map((e) => e.value));
      } catch (e) {
        return { missing: [], unexpected: [], reason: `it threw: ${e instanceof Error ? e.message : String(e)}` };
      }
      return verdict === false ? { missing: [], unexpected: [], reason: "it returned false" } : null;
    });
  }

  private narrow(window: AssertWindow | undefined, panes: PaneSelection): PCollectionAssert<T> {
    return new PCollectionAssert(this.pc, this.name, { window: toWindow(window), panes });
  }

  private check(what: string, check: Check<T>): this {
    const suite = suiteOf(this.pc.pipeline);
    const selection = this.selection;
    const description = `${what} ${describeSelection(selection)}`;
    const sink = new AssertionSink<T>(suite, selection, description, check);
    const t = new AssertionTransform<T>(sink);
    if (this.name === undefined) this.pc.apply(t);
    else this.pc.apply(this.name, t);
    return this;
  }
}

/**
 * Starts an assertion on `pc`; finish it with a check, optionally narrowed to a window and panes.
 * Checks run when the pipeline completes; `runPipeline` then rejects with an
 * {@link AssertionFailedError} if any failed. Each check is a transform named `AssertThat`
 * (numbered when repeated), or `name` when given (then one check per name: names are unique).
 * @example
 * assertThat(counts).containsInAnyOrder([{ word: "a", n: 2 }]);
 * assertThat(sums).inOnTimePane(intervalWindow(0, 60_000)).equals(42);
 * await runPipeline(p);
 */
export function assertThat<T>(pc: PCollection<T>, name?: string): PCollectionAssert<T> {
  return new PCollectionAssert(pc, name, { window: null, panes: "all" });
}

// ---------------------------------------------------------------------------------------------
// The run-time side: a sink per check, and one suite per pipeline that reports all failures.

/** The assertions of one pipeline; the last one to be checked in a run reports them all. */
class AssertionSuite {
  private readonly sinks = new Set<AssertionSink<any>>();
  private readonly verdicts = new Map<AssertionSink<any>, AssertionFailure | null>();

  register(sink: AssertionSink<any>): void {
    this.sinks.add(sink);
  }

  /** A run opened this sink: forget its verdict from any earlier run. */
  reset(sink: AssertionSink<any>): void {
    this.verdicts.delete(sink);
  }

  /** Records a verdict; once every assertion of the pipeline has one, throws if any failed. */
  report(sink: AssertionSink<any>, failure: AssertionFailure | null): void {
    this.verdicts.set(sink, failure);
    if (this.verdicts.size < this.sinks.size) return;
    const failures = [...this.sinks].map((s) => this.verdicts.get(s)).filter((f): f is AssertionFailure => !!f);
    this.verdicts.clear();
    if (failures.length > 0) throw new AssertionFailedError(failures, this.sinks.size);
  }
}

const suites = new WeakMap<Pipeline, AssertionSuite>();

function suiteOf(p: Pipeline): AssertionSuite {
  let s = suites.get(p);
  if (!s) {
    s = new AssertionSuite();
    suites.set(p, s);
  }
  return s;
}

const RESULT_SCHEMA = new arrow.Schema([new arrow.Field("file", new arrow.Utf8(), true)]);

class AssertionTransform<T> extends PTransform<PCollection<T>, PCollection<{ file: string }>> {
  constructor(private readonly sink: AssertionSink<T>) {
    super("AssertThat");
  }

  expand(input: PCollection<T>, ctx: ExpandContext): PCollection<{ file: string }> {
    const out = ctx.primitive({
      urn: WRITE_URN,
      payload: { sink: "assertion" },
      inputs: { main: input },
      outputs: { main: { schema: RESULT_SCHEMA } },
      fn: this.sink,
    }).main;
    this.sink.transformName = ctx.name;
    this.sink.suite.register(this.sink);
    return out;
  }
}

/** Keeps every row with its metadata; checks the assertion when the run commits. */
class AssertionSink<T> extends ElementSink<T> {
  transformName = "";

  constructor(
    readonly suite: AssertionSuite,
    private readonly selection: Selection,
    private readonly description: string,
    private readonly checkFn: Check<T>,
  ) {
    super();
  }

  override async createWriter(context: WriterContext): Promise<SinkWriter<number>> {
    this.suite.reset(this);
    return super.createWriter(context);
  }

  protected committed(all: CollectedElement<T>[]): void {
    this.suite.report(this, this.verdict(all));
  }

  private verdict(all: CollectedElement<T>[]): AssertionFailure | null {
    const inWindow = this.selection.window ? all.filter((e) => sameWindow(e.window, this.selection.window!)) : all;
    let result: ReturnType<Check<T>>;
    if (this.selection.panes === "only") {
      const extra = inWindow.filter((e) => !(e.pane.isFirst && e.pane.isLast));
      result = extra.length > 0 ? { missing: [], unexpected: extra, reason: "the window fired more than one pane (these rows are in panes that are not both first and last)" } : null;
      if (!result) result = this.checkFn(inWindow);
    } else {
      result = this.checkFn(inWindow.filter((e) => inPanes(e.pane, this.selection.panes)));
    }
    if (!result) return null;
    const report = renderReport(this.transformName, this.description, result, all);
    return { transform: this.transformName, description: this.description, missing: result.missing, unexpected: result.unexpected.map((e) => e.value), report };
  }
}

// ---------------------------------------------------------------------------------------------
// Selection, comparison and rendering.

function toWindow(w: AssertWindow | undefined): Window {
  if (w === undefined || w === "global" || (w as Window).global) return GLOBAL_WINDOW;
  return { start: w.start, end: w.end, global: false };
}

function sameWindow(a: Window, b: Window): boolean {
  return a.global || b.global ? a.global === b.global : a.start === b.start && a.end === b.end;
}

function inPanes(p: PaneInfo, sel: PaneSelection): boolean {
  switch (sel) {
    case "on_time":
      return p.timing === "on_time" || p.timing === "unknown";
    case "final":
      return p.isLast;
    case "early":
      return p.timing === "early";
    case "late":
      return p.timing === "late";
    default:
      return true;
  }
}

const PANE_WORDS: Record<PaneSelection, string> = {
  all: "all panes",
  only: "the only pane",
  on_time: "the on-time pane",
  final: "the final pane",
  early: "the early panes",
  late: "the late panes",
};

function describeSelection(s: Selection): string {
  if (!s.window) return "over all windows and panes";
  return `in ${PANE_WORDS[s.panes]} of ${formatWindow(s.window)}`;
}

function multisetDiff<T>(expected: readonly T[], actual: CollectedElement<T>[]): { missing: unknown[]; unexpected: CollectedElement<T>[] } {
  const pending = new Map<string, number>();
  for (const e of expected) {
    const k = valueKey(e);
    pending.set(k, (pending.get(k) ?? 0) + 1);
  }
  const unexpected: CollectedElement<T>[] = [];
  for (const a of actual) {
    const k = valueKey(a.value);
    const left = pending.get(k) ?? 0;
    if (left > 0) pending.set(k, left - 1);
    else unexpected.push(a);
  }
  const missing: unknown[] = [];
  const counted = new Map(pending);
  for (const e of expected) {
    const k = valueKey(e);
    const left = counted.get(k) ?? 0;
    if (left > 0) {
      missing.push(e);
      counted.set(k, left - 1);
    }
  }
  return { missing, unexpected };
}

const MAX_LISTED = 20;

function formatRow(v: unknown): string {
  return describeValue(v, 200);
}

/** `[start, end)` in ISO time, or "the global window". */
function formatWindow(w: Window): string {
  return w.global ? "the global window" : `window [${formatTimestamp(w.start)}, ${formatTimestamp(w.end)})`;
}

function formatPane(p: PaneInfo): string {
  if (p.timing === "unknown" && p.isFirst && p.isLast && p.index === 0) return "no pane (not grouped)";
  const flags = [p.timing.replace("_", "-"), p.isFirst ? "first" : "", p.isLast ? "last" : ""].filter(Boolean).join(", ");
  return `pane ${p.index} (${flags})`;
}

function listRows(title: string, lines: string[]): string[] {
  if (lines.length === 0) return [];
  const shown = lines.slice(0, MAX_LISTED).map((l) => `      ${l}`);
  if (lines.length > MAX_LISTED) shown.push(`      … and ${lines.length - MAX_LISTED} more`);
  return [`    ${title} (${lines.length}):`, ...shown];
}

function renderReport<T>(
  transform: string,
  description: string,
  result: NonNullable<ReturnType<Check<T>>>,
  all: CollectedElement<T>[],
): string {
  const lines = [`  ✗ "${transform}": ${description} — ${result.reason}`];
  lines.push(...listRows("missing (expected, not found)", result.missing.map(formatRow)));
  lines.push(...listRows("unexpected (found, not expected)", result.unexpected.map((e) => `${formatRow(e.value)}   @ ${formatWindow(e.window)}, ${formatPane(e.pane)}`)));
  lines.push(`    actual: ${all.length} row(s)${all.length > 0 ? " by window and pane:" : ""}`);
  const groups = new Map<string, { window: Window; pane: PaneInfo; rows: string[] }>();
  for (const e of all) {
    const k = `${e.window.start}|${e.window.end}|${e.pane.index}|${e.pane.timing}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { window: e.window, pane: e.pane, rows: [] }));
    g.rows.push(formatRow(e.value));
  }
  const ordered = [...groups.values()].sort((a, b) => a.window.start - b.window.start || a.window.end - b.window.end || a.pane.index - b.pane.index);
  let listed = 0;
  for (const g of ordered) {
    if (listed >= MAX_LISTED * 2) {
      lines.push(`      … ${ordered.length - ordered.indexOf(g)} more window/pane group(s)`);
      break;
    }
    lines.push(`      ${formatWindow(g.window)}, ${formatPane(g.pane)}:`);
    const rows = [...g.rows].sort();
    for (const r of rows.slice(0, MAX_LISTED)) lines.push(`        ${r}`);
    if (rows.length > MAX_LISTED) lines.push(`        … and ${rows.length - MAX_LISTED} more`);
    listed += Math.min(rows.length, MAX_LISTED);
  }
  return lines.join("\n");
}
