/**
 * The context an operator gets from the execution: its transform, emitting into its node's outbox,
 * schemas and windowing, its input watermarks, the processing-time clock and wake-ups, counters.
 */
import type * as arrow from "apache-arrow";
import type { GraphTransform, PipelineGraph } from "../../../sdk/graph";
import { graphSchema } from "../../../sdk/pipeline";
import { MIN_TIMESTAMP } from "../../../sdk/time";
import type { WindowingStrategy } from "../../../sdk/window";
import type { DirectOptions, OperatorContext } from "../contract/operator";
import type { FnLookup } from "../contract/run-metrics";
import type { Plan } from "../plan/planner";
import { readsStringsAsBytes } from "../plan/strings-as-bytes";
import type { ProcessingClock } from "./clock";
import { DeclaredState } from "./declared-state";
import type { ExecutionMetrics } from "./metrics";
import type { ExecNode } from "./node";

/** What every operator context of an execution shares. */
export interface ContextEnv {
  readonly graph: PipelineGraph;
  readonly plan: Plan;
  readonly options: DirectOptions;
  readonly fns: FnLookup;
  readonly clock: ProcessingClock;
  readonly metrics: ExecutionMetrics;
  /** Asks for a processing-time wake-up of `node` at `at`. */
  wakeAt(node: ExecNode, at: number): void;
  /** Whether a consumer reads string columns only as bytes (default: {@link readsStringsAsBytes}). */
  readonly readsStringsAsBytes?: (consumer: GraphTransform) => boolean;
}

/** Makes the schema and windowing look-ups every context of an execution shares. */
export function graphLookups(graph: PipelineGraph): Pick<OperatorContext, "schemaOf" | "windowingOf"> {
  const schemas = new Map<string, arrow.Schema | null>();
  return {
    schemaOf: (id: string) => {
      if (!schemas.has(id)) schemas.set(id, graphSchema(graph.pcollections[id]));
      return schemas.get(id)!;
    },
    windowingOf: (id: string): WindowingStrategy => graph.windowingStrategies[graph.pcollections[id].windowing],
  };
}

/** The context of `node`'s operator. */
export function operatorContext(env: ContextEnv, lookups: Pick<OperatorContext, "schemaOf" | "windowingOf">, transform: GraphTransform, node: ExecNode): OperatorContext {
  const { graph, plan, clock, metrics } = env;
  const name = transform.uniqueName;
  const outbox = node.outbox;
  const count = (counter: string, n: number) => metrics.count(name, counter, n);
  return {
    transform,
    graph,
    options: env.options,
    emit: (tag, batch) => {
      outbox.push([tag, batch]);
    },
    fn: <T>() => env.fns(name) as T,
    schemaOf: lookups.schemaOf,
    windowingOf: lookups.windowingOf,
    stringsReadAsBytes: (id: string) => {
      const consumers = plan.consumers.get(id) ?? [];
      const bytes = env.readsStringsAsBytes ?? readsStringsAsBytes;
      return consumers.length > 0 && consumers.every((c) => bytes(graph.transforms[c.node]));
    },
    inputWatermark: (tag?: string) => (tag === undefined ? node.inWatermark : node.tagWatermarks.get(tag) ?? MIN_TIMESTAMP),
    processingTime: clock.now,
    wakeAt: (at: number) => env.wakeAt(node, at),
    count,
    declareState: () => (node.declared ??= new DeclaredState(name)),
  };
}
