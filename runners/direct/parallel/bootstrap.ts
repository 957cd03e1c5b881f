/**
 * How a worker thread gets the pipeline: it loads the module that declared the pipeline's definition
 * (from a pre-built bundle of the worker and that module when there is one, see `worker-bundle.ts`),
 * builds the graph with the same option values, checks that the fingerprint equals the coordinator's,
 * and then finds every function by its transform's unique name. No closure crosses a thread.
 */
import * as fs from "node:fs";
import { buildPipeline, isPipelineDefinition, pipelineOrigin, PipelineDefinition } from "../../../sdk/definition";
import { PipelineConstructionError } from "../../../sdk/errors";
import type { Pipeline } from "../../../sdk/pipeline";
import { checkFingerprint } from "../../runtime/fingerprint";
import { workerBundle } from "./worker-bundle";

/** What a worker needs to rebuild the coordinator's pipeline. */
export interface PipelineSpec {
  /** The module that declares the definition. */
  readonly file: string;
  /** Which of the module's definitions (see `DefinitionSource.ordinal`). */
  readonly ordinal: number;
  /** The option values the coordinator built with. */
  readonly values: Readonly<Record<string, unknown>>;
  /** The coordinator's graph fingerprint. */
  readonly fingerprint: string;
  /** The name under which the module exports the definition, when the coordinator found it. */
  readonly exportName?: string;
  /** A pre-built bundle of the worker and the module for workers to load instead of the sources. */
  readonly bundle?: string;
}

/**
 * The spec from which workers can rebuild `pipeline`, or the reason there is none: only pipelines
 * built by `buildPipeline` from a definition declared in a module file can run on worker threads.
 */
export function pipelineSpec(pipeline: Pipeline): PipelineSpec | { reason: string } {
  const origin = pipelineOrigin(pipeline);
  if (!origin) return { reason: "the pipeline was not built from a definition (buildPipeline(definePipeline({...}), options))" };
  const source = origin.definition.source;
  if (!source) return { reason: "the module that declared the pipeline definition is unknown" };
  if (!fs.existsSync(source.file)) return { reason: `the module that declared the pipeline definition (${source.file}) is not a file` };
  try {
    structuredClone(origin.values);
  } catch {
    return { reason: "the pipeline's option values cannot be copied to another thread" };
  }
  const spec = { file: source.file, ordinal: source.ordinal, values: origin.values, fingerprint: pipeline.fingerprint() };
  const exportName = exportNameOf(source.file, origin.definition);
  // A bundle's modules all share one file name, so a worker loading one finds the definition by its
  // export name rather than by the module and ordinal that definePipeline recorded.
  const bundle = exportName === undefined ? null : workerBundle(source.file);
  return { ...spec, ...(exportName !== undefined ? { exportName } : {}), ...(bundle ? { bundle } : {}) };
}

/** The name under which the (already loaded) module `file` exports `definition`, if it does. */
function exportNameOf(file: string, definition: PipelineDefinition): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as Record<string, unknown>;
    return Object.keys(mod).find((k) => mod[k] === definition);
  } catch {
    return undefined;
  }
}

/** Pipeline modules a worker bundle carries, by the file they were bundled from. */
const provided = new Map<string, Record<string, unknown>>();

/** Hands a worker the pipeline module bundled with it (called by the bundle's entry). */
export function providePipelineModule(file: string, mod: Record<string, unknown>): void {
  provided.set(file, mod);
}

/** Finds the definition a spec names among a module's exports. */
function findDefinition(mod: Record<string, unknown>, spec: PipelineSpec): PipelineDefinition {
  const defs = Object.values(mod).filter(isPipelineDefinition);
  const found = defs.find((d) => d.source?.file === spec.file && d.source.ordinal === spec.ordinal) ?? (defs.length === 1 ? defs[0] : undefined);
  if (!found) {
    throw new PipelineConstructionError({
      code: "BL_DEFINITION_NOT_EXPORTED",
      where: spec.file,
      value: spec.ordinal,
      rule: "worker threads load the pipeline definition from its module's exports, and this module does not export it",
      fix: "export the definition (export default definePipeline({...}) or export const myPipeline = definePipeline({...}))",
    });
  }
  return found;
}

/** Loads and rebuilds the pipeline a spec names, checking its fingerprint (in a worker thread). */
export function loadPipeline(spec: PipelineSpec): Pipeline {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = provided.get(spec.file) ?? (require(spec.file) as Record<string, unknown>);
  const named = spec.exportName === undefined ? undefined : mod[spec.exportName];
  const definition = isPipelineDefinition(named) ? named : findDefinition(mod, spec);
  const pipeline = buildPipeline(definition, { ...spec.values });
  checkFingerprint({ where: spec.file, rebuilt: pipeline.fingerprint(), submitted: spec.fingerprint });
  return pipeline;
}
