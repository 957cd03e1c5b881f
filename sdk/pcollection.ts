/**
 * A typed handle on a PCollection in a pipeline graph. Rows are plain objects (or bare values for
 * scalar schemas) with an Arrow schema, declared or inferred.
 */
import type * as arrow from "apache-arrow";
import type { Pipeline } from "./pipeline";
import type { TransformLike } from "./transform";
import type { WindowingStrategy } from "./window";
import type { WithDeadLetters } from "./dead-letter";
import type { FailureOptions } from "./element-failures";
import { ElementInfo, ElementwiseOptions, filter, flatMap, map, mapBatches, type WithDeadLetterOptions } from "./pardo";

/** A PCollection of rows of type `T`. */
export class PCollection<T> {
  /** Type carrier; never set. */
  declare readonly __row?: T;

  /** @internal Use transforms to make PCollections. */
  constructor(
    /** The pipeline it belongs to. */
    readonly pipeline: Pipeline,
    /** Its id in the graph. */
    readonly id: string,
  ) {}

  /** Its Arrow schema, or null when the schema is inferred from the data at run time. */
  get schema(): arrow.Schema | null {
    return this.pipeline.schemaOf(this.id);
  }

  /** Whether it is finite. */
  get bounded(): boolean {
    return this.pipeline.graphPCollection(this.id).bounded;
  }

  /** Its windowing strategy. */
  get windowing(): WindowingStrategy {
    return this.pipeline.windowingOf(this.id);
  }

  /** Applies a transform under its own label. */
  apply<O extends import("./transform").PValue>(t: TransformLike<PCollection<T>, O>): O;
  /** Applies a transform under the given name. */
  apply<O extends import("./transform").PValue>(name: string, t: TransformLike<PCollection<T>, O>): O;
  apply<O extends import("./transform").PValue>(
    a: string | TransformLike<PCollection<T>, O>,
    b?: TransformLike<PCollection<T>, O>,
  ): O {
    return typeof a === "string" ? this.pipeline.applyTransform(this, b!, a) : this.pipeline.applyTransform(this, a);
  }

  /** Applies a row function to every row, routing rows it throws on to `deadLetter`. */
  map<O>(fn: (row: T, info: ElementInfo) => O, options: ElementwiseOptions<O> & WithDeadLetterOptions & { name?: string }): WithDeadLetters<O>;
  /** Applies a row function to every row (`name` defaults to "Map"). */
  map<O>(fn: (row: T, info: ElementInfo) => O, options?: ElementwiseOptions<O> & FailureOptions & { deadLetter?: false; name?: string }): PCollection<O>;
  map<O>(fn: (row: T, info: ElementInfo) => O, options?: ElementwiseOptions<O> & FailureOptions & { name?: string }): PCollection<O> | WithDeadLetters<O> {
    return this.pipeline.applyTransform(this, map(fn, options as ElementwiseOptions<O>) as TransformLike<PCollection<T>, PCollection<O> | WithDeadLetters<O>>, options?.name);
  }

  /** Applies a function returning zero or more rows to every row, routing rows it throws on to `deadLetter`. */
  flatMap<O>(fn: (row: T, info: ElementInfo) => Iterable<O>, options: ElementwiseOptions<O> & WithDeadLetterOptions & { name?: string }): WithDeadLetters<O>;
  /** Applies a function returning zero or more rows to every row. */
  flatMap<O>(fn: (row: T, info: ElementInfo) => Iterable<O>, options?: ElementwiseOptions<O> & FailureOptions & { deadLetter?: false; name?: string }): PCollection<O>;
  flatMap<O>(fn: (row: T, info: ElementInfo) => Iterable<O>, options?: ElementwiseOptions<O> & FailureOptions & { name?: string }): PCollection<O> | WithDeadLetters<O> {
    return this.pipeline.applyTransform(this, flatMap(fn, options as ElementwiseOptions<O>) as TransformLike<PCollection<T>, PCollection<O> | WithDeadLetters<O>>, options?.name);
  }

  /** Keeps the rows for which `fn` is true, routing rows it throws on to `deadLetter`. */
  filter(fn: (row: T, info: ElementInfo) => boolean, options: WithDeadLetterOptions & { name?: string }): WithDeadLetters<T>;
  /** Keeps the rows for which `fn` is true. */
  filter(fn: (row: T, info: ElementInfo) => boolean, options?: FailureOptions & { deadLetter?: false; name?: string }): PCollection<T>;
  filter(fn: (row: T, info: ElementInfo) => boolean, options?: FailureOptions & { name?: string }): PCollection<T> | WithDeadLetters<T> {
    return this.pipeline.applyTransform(this, filter(fn, options as FailureOptions & { deadLetter?: false }) as TransformLike<PCollection<T>, PCollection<T> | WithDeadLetters<T>>, options?.name);
  }

  /** Applies a function to whole Arrow RecordBatches, routing rows it throws on to `deadLetter` (see {@link mapBatches}). */
  mapBatches<O>(fn: (batch: arrow.RecordBatch) => arrow.RecordBatch, options: ElementwiseOptions<O> & WithDeadLetterOptions & { name?: string }): WithDeadLetters<O>;
  /** Applies a function to whole Arrow RecordBatches. */
  mapBatches<O>(fn: (batch: arrow.RecordBatch) => arrow.RecordBatch, options?: ElementwiseOptions<O> & FailureOptions & { deadLetter?: false; name?: string }): PCollection<O>;
  mapBatches<O>(fn: (batch: arrow.RecordBatch) => arrow.RecordBatch, options?: ElementwiseOptions<O> & FailureOptions & { name?: string }): PCollection<O> | WithDeadLetters<O> {
    return this.pipeline.applyTransform(this, mapBatches<T, O>(fn, options as ElementwiseOptions<O>) as TransformLike<PCollection<T>, PCollection<O> | WithDeadLetters<O>>, options?.name);
  }
}
