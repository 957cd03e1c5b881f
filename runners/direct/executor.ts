/**
 * Executes a plan in one thread: opens every operator, drives the sources, pushes each emitted batch
 * to its consumers, signals end of input downstream as producers finish, and closes everything —
 * aborting staged sink output if anything failed.
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "../../sdk/batch";
import { BeamlineError, wrapUserError } from "../../sdk/errors";
import type { PipelineGraph } from "../../sdk/graph";
import { graphSchema } from "../../sdk/pipeline";
import type { WindowingStrategy } from "../../sdk/window";
import type { DirectOptions, Operator, OperatorContext, OperatorRegistry } from "./operator";
import type { SourceOperator } from "./operators/io";
import type { Plan } from "./planner";

/** Looks up runtime objects (DoFns, sources, sinks) by transform name. */
export type FnLookup = (transformName: string) => unknown;

/** Counters of a run. */
export interface RunMetrics {
  /** Rows emitted per transform. */
  readonly rowsOut: Map<string, number>;
}

interface Running {
  readonly name: string;
  readonly op: Operator;
  readonly outbox: [string, ElementBatch][];
  /** Input tags not yet ended. */
  readonly openInputs: Set<string>;
  finished: boolean;
}

/** Runs a plan to completion. */
export async function execute(
  graph: PipelineGraph,
  plan: Plan,
  registry: OperatorRegistry,
  fns: FnLookup,
  options: DirectOptions,
): Promise<RunMetrics> {
  const schemas = new Map<string, arrow.Schema | null>();
  const schemaOf = (id: string) => {
    if (!schemas.has(id)) schemas.set(id, graphSchema(graph.pcollections[id]));
    return schemas.get(id)!;
  };
  const windowingOf = (id: string): WindowingStrategy => graph.windowingStrategies[graph.pcollections[id].windowing];
  const rowsOut = new Map<string, number>();
  const running = new Map<string, Running>();

  for (const { transform } of plan.nodes) {
    const outbox: [string, ElementBatch][] = [];
    const ctx: OperatorContext = {
      transform,
      graph,
      options,
      emit: (tag, batch) => {
        outbox.push([tag, batch]);
      },
      fn: <T>() => fns(transform.uniqueName) as T,
      schemaOf,
      windowingOf,
    };
    const op = registry.get(transform.urn)!(ctx);
    running.set(transform.uniqueName, { name: transform.uniqueName, op, outbox, openInputs: new Set(Object.keys(transform.inputs)), finished: false });
  }

  const guard = async <T>(r: Running, f: () => T | Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw e instanceof BeamlineError ? e : wrapUserError(e, r.name);
    }
  };

  const drain = async (r: Running): Promise<void> => {
    while (r.outbox.length > 0) {
      const [tag, batch] = r.outbox.shift()!;
      const transform = graph.transforms[r.name];
      const pc = transform.outputs[tag];
      if (pc === undefined) throw new Error(`internal: ${r.name} emitted to undeclared output ${tag}`);
      rowsOut.set(r.name, (rowsOut.get(r.name) ?? 0) + batch.data.numRows);
      for (const c of plan.consumers.get(pc)!) {
        const target = running.get(c.node)!;
        await guard(target, () => target.op.processBatch(c.tag, batch));
        await drain(target);
      }
    }
  };

  const endOutputs = async (r: Running): Promise<void> => {
    for (const pc of Object.values(graph.transforms[r.name].outputs)) {
      for (const c of plan.consumers.get(pc)!) {
        const target = running.get(c.node)!;
        await endInput(target, c.tag);
      }
    }
  };

  const endInput = async (r: Running, tag: string): Promise<void> => {
    r.openInputs.delete(tag);
    if (r.op.endOfInput) {
      await guard(r, () => r.op.endOfInput!(tag));
      await drain(r);
    }
    if (r.openInputs.size === 0) await finish(r);
  };

  const finish = async (r: Running): Promise<void> => {
    if (r.finished) return;
    r.finished = true;
    if (r.op.finish) {
      await guard(r, () => r.op.finish!());
      await drain(r);
    }
    await endOutputs(r);
  };

  let failed = false;
  try {
    for (const r of running.values()) if (r.op.open) await guard(r, () => r.op.open!());
    // Sources run in graph order; nodes without inputs that are not sources just finish.
    for (const { transform } of plan.nodes) {
      const r = running.get(transform.uniqueName)!;
      if (Object.keys(transform.inputs).length > 0) continue;
      const src = r.op as SourceOperator;
      if (typeof src.run === "function") {
        await guard(r, () => src.run());
        await drain(r);
      }
      await finish(r);
    }
    const stuck = [...running.values()].filter((r) => !r.finished).map((r) => r.name);
    if (stuck.length > 0) throw new Error(`internal: transforms never finished: ${stuck.join(", ")}`);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    const errors: unknown[] = [];
    for (const r of running.values()) {
      if (r.op.close) {
        try {
          await r.op.close(failed);
        } catch (e) {
          errors.push(e);
        }
      }
    }
    if (!failed && errors.length > 0) throw errors[0];
  }
  return { rowsOut };
}
