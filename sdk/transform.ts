/**
 * PTransforms: a class with `expand`, or a plain function of the input. Composites nest; a
 * primitive declares its URN, payload and outputs through {@link ExpandContext.primitive}.
 */
import type * as arrow from "apache-arrow";
import type { JsonValue } from "./graph";
import type { PCollection } from "./pcollection";
import type { Pipeline } from "./pipeline";
import type { WindowingStrategy } from "./window";

/** The input of a root transform. */
export class PBegin {
  constructor(readonly pipeline: Pipeline) {}
}

/** What a transform may take or return: the pipeline's beginning, a PCollection, or a record/array of them. */
export type PValue = PBegin | PCollection<any> | readonly PCollection<any>[] | { readonly [tag: string]: PCollection<any> } | void;

/** One output a primitive declares. */
export interface OutputSpec {
  /** The schema, or null to infer it from the data at run time. */
  readonly schema: arrow.Schema | null;
  /** Defaults to the windowing of the primitive's first input (the default strategy for roots). */
  readonly windowing?: WindowingStrategy;
  /** Defaults to true when every input is bounded (or for roots when unset). */
  readonly bounded?: boolean;
}

/** What a primitive declares about itself. */
export interface PrimitiveSpec<Tags extends string> {
  readonly urn: string;
  readonly payload: JsonValue;
  /** Main and side inputs by tag (side inputs under tags starting with `side:`). */
  readonly inputs: Record<string, PCollection<any>>;
  readonly outputs: Record<Tags, OutputSpec>;
  /** The runtime object (a DoFn, a source, a sink, a CombineFn…) the runner finds by this transform's name. */
  readonly fn?: unknown;
}

/** Given to `expand`: where the transform sits and how to declare a primitive. */
export interface ExpandContext {
  readonly pipeline: Pipeline;
  /** The transform's unique name. */
  readonly name: string;
  /** Declares this transform a primitive; returns its outputs. */
  primitive<Tags extends string>(spec: PrimitiveSpec<Tags>): Record<Tags, PCollection<any>>;
  /** Marks this composite with a URN runners may recognise (for example combine-per-key, for lifting). */
  annotate(urn: string, payload: JsonValue, fn?: unknown): void;
}

/** A transform as a class: override `expand`. */
export abstract class PTransform<I extends PValue, O extends PValue> {
  /** The name to apply it under when the caller gives none. */
  readonly label: string;

  constructor(label?: string) {
    this.label = label ?? this.constructor.name.replace(/Transform$/, "") ?? "Transform";
  }

  /** Builds the transform's part of the graph. */
  abstract expand(input: I, ctx: ExpandContext): O;
}

/** A transform as a function. Its name (or "Transform") labels it. */
export type TransformFn<I extends PValue, O extends PValue> = (input: I, ctx: ExpandContext) => O;

/** Either form. */
export type TransformLike<I extends PValue, O extends PValue> = PTransform<I, O> | TransformFn<I, O>;

/** Wraps a function as a named transform. */
export function transform<I extends PValue, O extends PValue>(label: string, fn: TransformFn<I, O>): PTransform<I, O> {
  return new (class extends PTransform<I, O> {
    expand(input: I, ctx: ExpandContext): O {
      return fn(input, ctx);
    }
  })(label);
}
