/**
 * Assertions on the contents of PCollections, checked when the run completes (Beam's PAssert).
 * `assertThat(pc)` adds a sink to the pipeline that keeps every row with its timestamp, window and
 * pane; when the run finishes, each assertion is checked against what its sink received and, if any
 * failed, the run rejects with one {@link AssertionFailedError} listing every failure with a diff of
 * expected and actual rows per window and pane. Narrow an assertion as PAssert does: to a window
 * (`inWindow`), its on-time, final, only, early or late panes, its early and on-time panes together
 * (`inCombinedNonLatePanes`), or the early panes of the global window (`inEarlyGlobalWindowPanes`).
 */
import { describeValue } from "../../sdk/errors";
import type { PCollection } from "../../sdk/pcollection";
import { valueKey } from "../../sdk/state";
import { durationMs } from "../../sdk/time";
import type { Window } from "../../sdk/window";
import { addCheck, multisetDiff, toWindow, verdictOf, type AssertWindow, type Check, type PaneSelection, type Selection } from "./assertion-checks";
import type { CollectedElement } from "./collect";

export { AssertionFailedError } from "./assertion-checks";
export type { AssertionFailure, AssertWindow, PaneSelection } from "./assertion-checks";

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

/** The narrowing methods of an assertion (Beam's PAssert names, and Beamline's plural ones). */
export abstract class AssertNarrowing<Self> {
  /** Narrows to `panes` of `window` (the global window when absent). */
  protected abstract narrow(window: AssertWindow | undefined, panes: PaneSelection): Self;

  /** Only rows in `window` (the global window when absent), all panes together. */
  inWindow(window?: AssertWindow): Self {
    return this.narrow(window, "all");
  }

  /** The single pane of `window` (global when absent); fails if the window fired more than once. */
  inOnlyPane(window?: AssertWindow): Self {
    return this.narrow(window, "only");
  }

  /** The on-time pane of `window` (global when absent); rows never grouped count as on time. */
  inOnTimePane(window?: AssertWindow): Self {
    return this.narrow(window, "on_time");
  }

  /** The final pane of `window` (global when absent); rows never grouped count as final. */
  inFinalPane(window?: AssertWindow): Self {
    return this.narrow(window, "final");
  }

  /** All early (speculative) panes of `window` (global when absent), together. */
  inEarlyPanes(window?: AssertWindow): Self {
    return this.narrow(window, "early");
  }

  /** Beam's name for {@link inEarlyPanes}: the early panes of `window`, together. */
  inEarlyPane(window?: AssertWindow): Self {
    return this.narrow(window, "early");
  }

  /** All late panes of `window` (global when absent), together. */
  inLatePanes(window?: AssertWindow): Self {
    return this.narrow(window, "late");
  }

  /** Beam's name for {@link inLatePanes}: the late panes of `window`, together. */
  inLatePane(window?: AssertWindow): Self {
    return this.narrow(window, "late");
  }

  /** The panes of `window` that are not late — early and on-time — together (Beam's `inCombinedNonLatePanes`). */
  inCombinedNonLatePanes(window?: AssertWindow): Self {
    return this.narrow(window, "non_late");
  }

  /** The early panes of the global window: what fired before the global window closed (Beam's `inEarlyGlobalWindowPanes`). */
  inEarlyGlobalWindowPanes(): Self {
    return this.narrow("global", "early");
  }
}

/**
 * Assertions about one PCollection, narrowed to a window and panes. Each terminal method
 * (`containsInAnyOrder`, `equals`, `satisfies`, `empty`) adds one check to the pipeline and returns
 * the same narrowed assertion, so several checks can follow one another.
 */
export class PCollectionAssert<T> extends AssertNarrowing<PCollectionAssert<T>> {
  /** @internal Use {@link assertThat}. */
  constructor(
    private readonly pc: PCollection<T>,
    private readonly name: string | undefined,
    private readonly selection: Selection,
  ) {
    super();
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
   * (its message is reported) to fail. Its second argument holds each row with its timestamp,
   * window and pane, in the same order.
   */
  satisfies(fn: (rows: T[], elements: readonly CollectedElement<T>[]) => boolean | void, description = fn.name || "predicate"): this {
    return this.check(`satisfies(${description})`, (sel) => verdictOf(() => fn(sel.map((e) => e.value), sel)));
  }

  protected narrow(window: AssertWindow | undefined, panes: PaneSelection): PCollectionAssert<T> {
    return new PCollectionAssert(this.pc, this.name, { window: toWindow(window), panes });
  }

  private check(what: string, check: Check<T>): this {
    addCheck(this.pc, this.name, this.selection, what, check);
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
