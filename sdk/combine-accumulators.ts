/**
 * The accumulators of a combine composite (one per aggregate, by output field) and how they become
 * the combine's output row, for every runner and for the composite's own expansion: create, add an
 * input row, merge, extract, and shape the row (`flat`: the key fields then the aggregates; `kv`:
 * `{key, value}`; `value`: the bare value). A CombineFn that throws fails as the transform's user error.
 */
import type { AggregateSpec, CombineRuntime } from "./combine";
import { wrapUserError } from "./errors";

/** The accumulators of one group: one per aggregate, by output field. */
export type Accumulators = Record<string, unknown>;

/** The combine functions of a combine composite, called with user errors attributed to it. */
export class CombineAccumulators {
  private readonly entries: [string, AggregateSpec][];

  constructor(
    private readonly rt: CombineRuntime,
    /** The combine transform's name, for errors. */
    private readonly transform: string,
  ) {
    this.entries = Object.entries(rt.aggregates);
  }

  /** The output row's fields, in order: the key fields (none for a global combine), then the aggregates. */
  get outputFields(): string[] {
    return [...this.rt.keyFields, ...this.entries.map(([name]) => name)];
  }

  private call<R>(f: () => R, value?: unknown): R {
    try {
      return f();
    } catch (e) {
      throw wrapUserError(e, this.transform, value);
    }
  }

  /** A fresh accumulator of aggregate `name`. */
  createOne(name: string): unknown {
    const fn = this.rt.aggregates[name].fn;
    return this.call(() => fn.createAccumulator());
  }

  /** Adds `input` to an accumulator of aggregate `name`. */
  addOne(name: string, acc: unknown, input: unknown): unknown {
    const fn = this.rt.aggregates[name].fn;
    return this.call(() => fn.addInput(acc, input), input);
  }

  /** Merges accumulators of aggregate `name` (one is returned as it is; none gives a fresh one). */
  mergeOne(name: string, accs: unknown[]): unknown {
    if (accs.length === 0) return this.createOne(name);
    if (accs.length === 1) return accs[0];
    const fn = this.rt.aggregates[name].fn;
    return this.call(() => fn.mergeAccumulators(accs));
  }

  /** The output of aggregate `name` for an accumulator. */
  extractOne(name: string, acc: unknown): unknown {
    const fn = this.rt.aggregates[name].fn;
    return this.call(() => fn.extractOutput(acc));
  }

  /** Fresh accumulators of every aggregate. */
  create(): Accumulators {
    const acc: Accumulators = {};
    for (const [name] of this.entries) acc[name] = this.createOne(name);
    return acc;
  }

  /** Adds an input row to every aggregate (its field, or the whole row). */
  add(acc: Accumulators, row: unknown): void {
    for (const [name, a] of this.entries) acc[name] = this.addOne(name, acc[name], a.field === null ? row : (row as Record<string, unknown>)[a.field]);
  }

  /** Merges the accumulators of several groups. */
  merge(accs: Accumulators[]): Accumulators {
    const out: Accumulators = {};
    for (const [name] of this.entries) out[name] = this.mergeOne(name, accs.map((x) => x[name]));
    return out;
  }

  /** The output row of a key (`{key fields…}` as grouped) and its accumulators, in the combine's shape. */
  output(key: unknown, acc: Accumulators): unknown {
    const outputs: Record<string, unknown> = {};
    for (const [name] of this.entries) outputs[name] = this.extractOne(name, acc[name]);
    return this.row(key, outputs);
  }

  /** The output row of a key and the outputs of its aggregates, in the combine's shape. */
  row(key: unknown, outputs: Record<string, unknown>): unknown {
    const shape = this.rt.shape;
    if (shape === "value") return outputs.value;
    const out: Record<string, unknown> = shape === "flat" ? { ...(key as object) } : { key: (key as { key: unknown }).key };
    for (const [name] of this.entries) out[name] = outputs[name];
    return out;
  }
}
