/**
 * Partition: splits one PCollection into a fixed number of PCollections by a function of each row.
 * One ParDo with `n` outputs (partition 0 is its `main` output, partition i its output "i"); rows are
 * routed columnar, so each output batch keeps the input's schema, timestamps and windows.
 */
import type * as arrow from "apache-arrow";
import { ElementBatch, takeMetadata } from "../sdk/batch";
import { takeRecordBatch } from "../sdk/columns";
import { PipelineConstructionError, UserCodeError, wrapUserError } from "../sdk/errors";
import { ParDo } from "../sdk/pardo";
import type { PCollection } from "../sdk/pcollection";
import { rowAccessor } from "../sdk/rows";
import { PTransform, type ExpandContext } from "../sdk/transform";

/** Picks the partition of a row: an integer in [0, n). */
export type PartitionFn<T> = (row: T, n: number) => number;

/** The output tag of partition `i`. */
function tagOf(i: number): string {
  return i === 0 ? "main" : String(i);
}

/** The runtime function of a partition ParDo. */
function router<T>(name: string, n: number, fn: PartitionFn<T>) {
  return (batch: ElementBatch, emit: (tag: string, b: ElementBatch) => void) => {
    const rows = batch.data.numRows;
    const read = rowAccessor(batch.data);
    const part = new Int32Array(rows);
    const counts = new Int32Array(n);
    for (let i = 0; i < rows; i++) {
      const row = read(i) as T;
      let p: number;
      try {
        p = fn(row, n);
      } catch (e) {
        throw wrapUserError(e, name, row);
      }
      if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p >= n) {
        throw new UserCodeError({
          code: "BL_BAD_PARTITION",
          where: `transform "${name}"`,
          value: row,
          rule: `the partition function returned ${typeof p === "number" ? p : `${typeof p} ${JSON.stringify(p)}`} for this row; it must return an integer from 0 to ${n - 1}`,
          fix: `return an index in [0, ${n}) for every row (e.g. Math.abs(hash) % n), or filter the rows out first`,
        });
      }
      part[i] = p;
      counts[p]++;
    }
    for (let p = 0; p < n; p++) {
      if (counts[p] === 0) continue;
      if (counts[p] === rows) {
        emit(tagOf(p), batch);
        continue;
      }
      const idx = new Int32Array(counts[p]);
      for (let i = 0, k = 0; i < rows; i++) if (part[i] === p) idx[k++] = i;
      emit(tagOf(p), { data: takeRecordBatch(batch.data, idx), ...takeMetadata(batch, idx) });
    }
  };
}

class Partition<T> extends PTransform<PCollection<T>, PCollection<T>[]> {
  constructor(
    private readonly n: number,
    private readonly fn: PartitionFn<T>,
  ) {
    super("Partition");
  }

  expand(input: PCollection<T>, ctx: ExpandContext): PCollection<T>[] {
    const outputs: Record<string, arrow.Schema | null> = {};
    for (let i = 0; i < this.n; i++) outputs[tagOf(i)] = input.schema;
    const pardo = new ParDo<T, string>("Partition", { kind: "columnar", fn: router(ctx.name, this.n, this.fn) }, outputs, { partitions: this.n });
    const res = pardo.expand(input, ctx);
    return Array.from({ length: this.n }, (_, i) => res[tagOf(i)] as PCollection<T>);
  }
}

/**
 * Splits rows into `n` PCollections: `fn(row, n)` gives each row's partition, an integer in [0, n).
 * @example const [small, large] = rows.apply(partition(2, (r) => (r.amount < 100 ? 0 : 1)));
 */
export function partition<T>(n: number, fn: PartitionFn<T>): PTransform<PCollection<T>, PCollection<T>[]> {
  if (!Number.isInteger(n) || n < 1) {
    throw new PipelineConstructionError({
      code: "BL_BAD_PARTITION_COUNT",
      value: n,
      rule: "the number of partitions must be a positive integer",
      fix: "pass e.g. partition(2, fn)",
    });
  }
  if (typeof fn !== "function") {
    throw new PipelineConstructionError({
      code: "BL_BAD_PARTITION_FN",
      value: fn,
      rule: "partition needs a function (row, n) => index",
      fix: "pass e.g. partition(2, (row) => (row.ok ? 0 : 1))",
    });
  }
  return new Partition<T>(n, fn);
}
