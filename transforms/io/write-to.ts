/** Writing a PCollection to any sink that follows the two-phase commit contract. */
import { PipelineConstructionError } from "../../sdk/errors";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import type { Sink } from "../../sdk/sink";
import { PTransform, type ExpandContext } from "../../sdk/transform";
import { declareWrite } from "./common";

/** Options of {@link writeTo}. */
export interface WriteToOptions {
  /** What kind of sink this is, recorded in the graph's payload (and so in its fingerprint). Default `custom`. */
  readonly kind?: string;
  /** Plain settings of the sink recorded in the payload, so that a changed setting changes the fingerprint. */
  readonly settings?: { readonly [k: string]: JsonValue };
}

/** The members a sink must have, checked when the pipeline is built rather than when it first writes. */
const SINK_MEMBERS: readonly (readonly [string, (s: any) => boolean])[] = [
  ["createWriter(context)", (s) => typeof s?.createWriter === "function"],
  ["committer.commit(committables)", (s) => typeof s?.committer?.commit === "function"],
  ["committer.abort(committables)", (s) => typeof s?.committer?.abort === "function"],
  ["abortLingering(recovery)", (s) => typeof s?.abortLingering === "function"],
];

class WriteTo<T> extends PTransform<PCollection<T>, PCollection<{ file: string }>> {
  constructor(private readonly sink: Sink, private readonly options: WriteToOptions) {
    super(`WriteTo(${options.kind ?? "custom"})`);
    const missing = SINK_MEMBERS.filter(([, has]) => !has(sink)).map(([name]) => name);
    if (missing.length > 0) {
      throw new PipelineConstructionError({
        code: "BL_NOT_A_SINK",
        value: sink,
        rule: `writeTo takes a Sink of the two-phase commit contract; this one lacks ${missing.join(", ")}`,
        fix: "implement the Sink interface (createWriter, committer with commit and abort, abortLingering), or use a built-in writer such as writeText",
      });
    }
  }

  expand(input: PCollection<T>, ctx: ExpandContext): PCollection<{ file: string }> {
    return declareWrite(ctx, input, { sink: this.options.kind ?? "custom", ...(this.options.settings ?? {}) }, this.sink);
  }
}

/**
 * Writes a PCollection to `sink`: its writers stage rows, prepare committables at each checkpoint and
 * its committer publishes them when the checkpoint completes, exactly once, on every runner. The output
 * names what each commit published.
 */
export function writeTo<T>(sink: Sink, options: WriteToOptions = {}): PTransform<PCollection<T>, PCollection<{ file: string }>> {
  return new WriteTo<T>(sink, options);
}
