/**
 * The run-time side of assertions (Beam's PAssert): each check is a sink that keeps every row with
 * its timestamp, window and pane; when the run commits, the check runs on the rows of its window and
 * panes, and the pipeline's suite of checks throws one {@link AssertionFailedError} listing every
 * failure with a diff of expected and actual rows per window and pane. Internal to the assertion
 * API (`assert.ts`, `singleton-assert.ts`).
 */
import * as arrow from "apache-arrow";
import type { PaneInfo } from "../../sdk/batch";
import { BeamlineError, describeValue } from "../../sdk/errors";
import type { PCollection } from "../../sdk/pcollection";
import type { Pipeline } from "../../sdk/pipeline";
import { type SinkWriter, type WriterContext, WRITE_URN } from "../../sdk/sink";
import { valueKey } from "../../sdk/state";
import { formatTimestamp } from "../../sdk/time";
import { PTransform, type ExpandContext } from "../../sdk/transform";
import { GLOBAL_WINDOW, type Window } from "../../sdk/window";
import { ElementSink, type CollectedElement } from "./collect";

/** A window to narrow an assertion to: `"global"`, the global window, or an interval `{start, end}` (ms, end exclusive). */
export type AssertWindow = "global" | Window | { readonly start: number; readonly end: number };

/**
 * Which panes of the selected window(s) an assertion looks at: all, the only one, the on-time pane,
 * the final pane, the early panes, the late panes, or the early and on-time panes together.
 */
export type PaneSelection = "all" | "only" | "on_time" | "final" | "early" | "late" | "non_late";

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

/** A check on the selected elements: null when it holds, else what went wrong. */
export type Check<T> = (selected: CollectedElement<T>[]) => null | { missing: unknown[]; unexpected: CollectedElement<T>[]; reason: string };

/** The window (null: every window) and panes an assertion looks at. */
export interface Selection {
  readonly window: Window | null;
  readonly panes: PaneSelection;
}

/** The outcome of a user predicate as a check result: true or nothing passes; false or a throw fails. */
export function verdictOf(run: () => boolean | void): { missing: never[]; unexpected: never[]; reason: string } | null {
  let verdict: boolean | void;
  try {
    verdict = run();
  } catch (e) {
    return { missing: [], unexpected: [], reason: `it threw: ${e instanceof Error ? e.message : String(e)}` };
  }
  return verdict === false ? { missing: [], unexpected: [], reason: "it returned false" } : null;
}

/**
 * Adds check `check` on `pc`, narrowed to `selection`, to the pipeline: an `AssertThat` transform
 * (numbered when repeated), or one named `name`. `what` describes the check in reports.
 */
export function addCheck<T>(pc: PCollection<T>, name: string | undefined, selection: Selection, what: string, check: Check<T>): void {
  const suite = suiteOf(pc.pipeline);
  const description = `${what} ${describeSelection(selection)}`;
  const t = new AssertionTransform<T>(new AssertionSink<T>(suite, selection, description, check));
  if (name === undefined) pc.apply(t);
  else pc.apply(name, t);
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

/** The window an assertion narrows to: the global window when absent. */
export function toWindow(w: AssertWindow | undefined): Window {
  if (w === undefined || w === "global" || (w as Window).global) return GLOBAL_WINDOW;
  return { start: w.start, end: w.end, global: false };
}

function sameWindow(a: Window, b: Window): boolean {
  return a.global || b.global ? a.global === b.global : a.start === b.start && a.end === b.end;
}

function inPanes(p: PaneInfo, sel: PaneSelection): boolean {
  switch (sel) {
    case "non_late":
      return p.timing !== "late";
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
  non_late: "the combined non-late panes",
};

function describeSelection(s: Selection): string {
  if (!s.window) return "over all windows and panes";
  return `in ${PANE_WORDS[s.panes]} of ${formatWindow(s.window)}`;
}

/** Expected rows not found and rows found not expected, comparing rows by value as multisets. */
export function multisetDiff<T>(expected: readonly T[], actual: CollectedElement<T>[]): { missing: unknown[]; unexpected: CollectedElement<T>[] } {
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
