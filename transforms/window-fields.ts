/**
 * `withWindowFields()`: the window of each row as two timestamp fields, so windowed aggregates (whose
 * rows carry their window only beside the data) can be written to files and read by people.
 */
import * as arrow from "apache-arrow";
import type { ElementBatch } from "../sdk/batch";
import { makeRecordBatch, vectorFromValues } from "../sdk/columns";
import { PipelineConstructionError } from "../sdk/errors";
import { columnar } from "../sdk/pardo";
import type { PCollection } from "../sdk/pcollection";
import { isScalarSchema } from "../sdk/schema";
import { PTransform, type ExpandContext } from "../sdk/transform";

/** The names {@link withWindowFields} gives the two fields. */
export interface WindowFieldNames {
  /** The window's inclusive start (ms). Default `windowStart`. */
  readonly start?: string;
  /** The window's exclusive end (ms). Default `windowEnd`. */
  readonly end?: string;
}

/**
 * Adds each row's window to it as two `t.timestamp()` fields, `windowStart` (inclusive) and `windowEnd`
 * (exclusive), both null in the global window. Rows must be objects (a struct schema).
 * @example perMinute.apply(withWindowFields()).apply(writeCsv("out/per-minute"))
 */
export function withWindowFields<T extends object>(names: WindowFieldNames = {}): PTransform<PCollection<T>, PCollection<T & { windowStart: number | null; windowEnd: number | null }>> {
  const start = names.start ?? "windowStart";
  const end = names.end ?? "windowEnd";
  return new (class extends PTransform<PCollection<T>, PCollection<any>> {
    expand(input: PCollection<T>, ctx: ExpandContext): PCollection<any> {
      const s = input.schema;
      const taken = s?.fields.find((f) => f.name === start || f.name === end);
      if (!s || isScalarSchema(s) || taken || start === end) {
        throw new PipelineConstructionError({
          code: "BL_WINDOW_FIELDS",
          where: `transform "${ctx.name}"`,
          value: taken?.name ?? (start === end ? start : null),
          rule: !s || isScalarSchema(s) ? "withWindowFields adds fields to rows that are objects, and these rows are bare values" : "the window's fields need two names the rows do not have",
          fix: !s || isScalarSchema(s) ? "map the values to objects first, e.g. .map((v) => ({ value: v }))" : "name them: withWindowFields({ start: \"from\", end: \"to\" })",
        });
      }
      const type = new arrow.TimestampMillisecond();
      const out = new arrow.Schema([...s.fields, new arrow.Field(start, type, true), new arrow.Field(end, type, true)]);
      const fn = (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
        const n = batch.data.numRows;
        const w = batch.windows;
        const starts = w.kind === "global" ? new Array<null>(n).fill(null) : Array.from(w.start.subarray(0, n));
        const ends = w.kind === "global" ? starts : Array.from(w.end.subarray(0, n));
        const children = [...batch.data.schema.fields.map((_, i) => batch.data.data.children[i]), vectorFromValues(starts, type).data[0], vectorFromValues(ends, type).data[0]];
        emit("main", { ...batch, data: makeRecordBatch(out, children, n) });
      };
      return input.apply("AddWindow", columnar<T, any>("AddWindow", fn, out, { windowFields: [start, end] }));
    }
  })("WithWindowFields");
}
