/**
 * What a stateful DoFn emits, collected per output tag with each row's timestamp, window and pane
 * until the runner drains it into batches. Emitting to a tag the transform did not declare is the
 * user's error, raised here for both runners.
 */
import { GLOBAL_WINDOWS, type PaneColumn, type WindowColumn } from "../../../sdk/batch";
import { UserCodeError } from "../../../sdk/errors";
import type { Window } from "../../../sdk/window";

/** A pane as an output row carries it: the pane column's flags, index and non-speculative index. */
export interface PaneBits {
  readonly flags: number;
  readonly index: number;
  readonly nonSpeculative: number;
}

/** The rows emitted to one tag, with their metadata as columns. */
export interface DrainedRows {
  readonly tag: string;
  readonly rows: unknown[];
  readonly timestamps: Float64Array;
  readonly windows: WindowColumn;
  /** Present when any row carried a pane. */
  readonly panes?: PaneColumn;
}

/** Rows emitted to one tag. */
class TagRows {
  rows: unknown[] = [];
  ts: number[] = [];
  windows: Window[] = [];
  panes: PaneBits[] | null = null;
}

/** The pane of a row emitted without one: the only, on-time-or-unknown pane (flags as {@link PaneColumn}). */
const NO_PANE: PaneBits = { flags: 0b1111, index: 0, nonSpeculative: 0 };

/** Rows a stateful DoFn emitted, by output tag. */
export class StatefulOutputs {
  private readonly byTag = new Map<string, TagRows>();

  constructor(
    /** The declared output tags (`main` among them). */
    tags: readonly string[],
    /** The transform, for errors. */
    private readonly where: string,
  ) {
    for (const tag of tags) this.byTag.set(tag, new TagRows());
  }

  /** Adds a row to `tag` (main when undefined); throws for an undeclared tag. */
  add(tag: string | undefined, row: unknown, ts: number, window: Window, pane?: PaneBits): void {
    const out = this.byTag.get(tag ?? "main");
    if (!out) {
      throw new UserCodeError({
        code: "BL_UNKNOWN_OUTPUT_TAG",
        where: this.where,
        value: tag,
        rule: "the DoFn emitted to an output tag it did not declare",
        fix: `declare it: parDoWithOutputs(fn, { outputs: { ${tag}: null } }); declared: ${[...this.byTag.keys()].join(", ")}`,
      });
    }
    if (pane && !out.panes) out.panes = out.rows.map(() => NO_PANE);
    out.rows.push(row);
    out.ts.push(ts);
    out.windows.push(window);
    out.panes?.push(pane ?? NO_PANE);
  }

  /** The rows of every tag that has any, emptying the buffer. */
  drain(): DrainedRows[] {
    const out: DrainedRows[] = [];
    for (const [tag, t] of this.byTag) {
      if (t.rows.length === 0) continue;
      const windows: WindowColumn = t.windows.some((w) => !w.global)
        ? { kind: "interval", start: Float64Array.from(t.windows, (w) => w.start), end: Float64Array.from(t.windows, (w) => w.end) }
        : GLOBAL_WINDOWS;
      const panes = t.panes
        ? { flags: Uint8Array.from(t.panes, (p) => p.flags), index: Int32Array.from(t.panes, (p) => p.index), nonSpeculative: Int32Array.from(t.panes, (p) => p.nonSpeculative) }
        : undefined;
      out.push({ tag, rows: t.rows, timestamps: Float64Array.from(t.ts), windows, ...(panes ? { panes } : {}) });
      this.byTag.set(tag, new TagRows());
    }
    return out;
  }
}
