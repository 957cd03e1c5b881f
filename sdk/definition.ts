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
  /** The module that declared it (found from the call stack), so that worker threads can load it again. */
  readonly source?: DefinitionSource;
}

/** Where a definition was declared: its module file, and its place among the definitions that module declares. */
export interface DefinitionSource {
  /** Absolute path of the declaring module. */
  readonly file: string;
  /** 0 for the module's first `definePipeline` call, 1 for the second… */
  readonly ordinal: number;
}

/** How a pipeline was built: from which definition, with which option values. */
export interface PipelineOrigin {
  readonly definition: PipelineDefinition;
  /** The option values passed to {@link buildPipeline} (before defaults were filled in). */
  readonly values: Readonly<Record<string, unknown>>;
}

const declaredPerFile = new Map<string, number>();
const origins = new WeakMap<Pipeline, PipelineOrigin>();

/** The file of the first stack frame outside this module: the caller of `definePipeline`. */
function callerFile(): string | null {
  const original = Error.prepareStackTrace;
  try {
    Error.prepareStackTrace = (_e, frames) => frames;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, definePipeline);
    for (const frame of holder.stack ?? []) {
      let file = frame.getFileName();
      if (!file) continue;
      if (file.startsWith("file://")) file = new URL(file).pathname;
      if (file !== __filename && !file.startsWith("node:")) return file;
    }
    return null;
  } catch {
    return null;
  } finally {
    Error.prepareStackTrace = original;
  }
}

/** Declares a pipeline. */
export function definePipeline<S extends OptionSpecs = {}>(def: {
  description?: string;
  options?: S;
  build: (p: Pipeline, options: OptionValues<S>) => void;
}): PipelineDefinition<S> {
  const file = callerFile();
  let source: DefinitionSource | undefined;
  if (file) {
    const ordinal = declaredPerFile.get(file) ?? 0;
    declaredPerFile.set(file, ordinal + 1);
    source = { file, ordinal };
  }
  return { kind: "beamline.pipeline", description: def.description, options: (def.options ?? {}) as S, build: def.build, ...(source ? { source } : {}) };
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
  origins.set(p, { definition: def as PipelineDefinition, values: { ...values } });
  return p;
}

/** The definition and option values a pipeline was built from by {@link buildPipeline}, if it was. */
export function pipelineOrigin(p: Pipeline): PipelineOrigin | undefined {
  return origins.get(p);
}
