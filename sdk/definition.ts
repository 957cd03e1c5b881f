/**
 * A pipeline file default-exports a pipeline definition: its options and a deterministic function
 * that builds the graph from them. Runners (and worker threads, and remote harnesses) rebuild the
 * same graph from the same module and options and check the fingerprint.
 */
import { PipelineConstructionError } from "./errors";
import { OptionSpecs, OptionValues, resolveOptions } from "./options";
import { Pipeline } from "./pipeline";

/** What a pipeline file exports. */
export interface PipelineDefinition<S extends OptionSpecs = OptionSpecs> {
  /** Marks the object as a definition. */
  readonly kind: "beamline.pipeline";
  /** A one-line description, shown by `--help`. */
  readonly description?: string;
  /** The pipeline's own options. */
  readonly options: S;
  /** Builds the graph onto `p`; must be deterministic. */
  readonly build: (p: Pipeline, options: OptionValues<S>) => void;
}

/** Declares a pipeline. */
export function definePipeline<S extends OptionSpecs = {}>(def: {
  description?: string;
  options?: S;
  build: (p: Pipeline, options: OptionValues<S>) => void;
}): PipelineDefinition<S> {
  return { kind: "beamline.pipeline", description: def.description, options: (def.options ?? {}) as S, build: def.build };
}

/** Whether a module export is a pipeline definition. */
export function isPipelineDefinition(x: unknown): x is PipelineDefinition {
  return !!x && typeof x === "object" && (x as PipelineDefinition).kind === "beamline.pipeline";
}

/** Builds a definition with option values (validated, defaults filled in). */
export function buildPipeline<S extends OptionSpecs>(def: PipelineDefinition<S>, values: Record<string, unknown>): Pipeline {
  const options = resolveOptions(values, def.options);
  const p = new Pipeline();
  def.build(p, options);
  if (p.graph().roots.length === 0) {
    throw new PipelineConstructionError({
      code: "BL_EMPTY_PIPELINE",
      rule: "the pipeline definition applied no transform",
      fix: "apply at least a source in build(p, options), e.g. p.apply(readText(options.input))",
    });
  }
  return p;
}
