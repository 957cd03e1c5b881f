/**
 * Transforms a runner runs itself instead of through Beamline's harness (Dataflow's native Pub/Sub read
 * and write): the runner gives {@link translate} a {@link NativeTranslation}, which sees each primitive
 * first and, when it is one the runner runs natively, writes it into the pipeline being built.
 */
import type { GraphTransform, PipelineGraph } from "../../sdk/graph";
import type { WindowingStrategy } from "../../sdk/window";
import type { BeamlineDoFnRole } from "./model/payloads";
import type { Protos } from "./model/protos";

/** The pipeline being built, as a native translation writes into it. */
export interface NativeTranslationContext {
  readonly graph: PipelineGraph;
  readonly protos: Protos;
  /** The environment id of Beamline's transforms. */
  readonly environmentId: string;
  /** The Runner API transforms so far, by id. */
  readonly transforms: Record<string, Record<string, unknown>>;
  /** The Runner API PCollections so far, by id (every graph PCollection is there already). */
  readonly pcollections: Record<string, Record<string, unknown>>;
  /** The id of the coder `urn` of `components` (equal coders shared). */
  addCoder(urn: string, components?: string[]): string;
  /** Adds a PCollection of coder `coderId` with windowing `ws`. */
  addPCollection(id: string, coderId: string, ws: WindowingStrategy, bounded: boolean): void;
  /** Adds transform `id`: a Beamline DoFn of `role` for graph transform `graphName`, run by Beamline's harness. */
  addDoFn(id: string, role: BeamlineDoFnRole, graphName: string, inputs: Record<string, string>, outputs: Record<string, string>): void;
  /** Reports a part of the pipeline the runner cannot run (all are refused together, before submission). */
  unsupported(message: string): void;
}

/** Translates graph primitive `name` natively when the runner runs it so; returns whether it did. */
export type NativeTranslation = (name: string, t: GraphTransform, ctx: NativeTranslationContext) => boolean;
