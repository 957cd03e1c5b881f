/**
 * The node graph of one execution: a node per planned transform, holding its operator, what it has
 * emitted and not yet delivered, its inputs' and its own watermarks, its processing-time wake-ups and
 * where it stands with the checkpoint in flight.
 */
import type { ElementBatch } from "../../../sdk/batch";
import type { GraphTransform, PipelineGraph } from "../../../sdk/graph";
import { MIN_TIMESTAMP } from "../../../sdk/time";
import type { Operator } from "../contract/operator";
import type { Plan } from "../plan/planner";
import type { DeclaredState } from "./declared-state";

/** An input of a node: its tag and the node that produces it. */
export interface NodeInput {
  readonly tag: string;
  readonly producer: ExecNode;
  /** The PCollection the input reads (a source may give each of its outputs a watermark). */
  readonly pc: string;
}

/** One transform of the plan as it executes. */
export interface ExecNode {
  readonly name: string;
  readonly index: number;
  /** Set once, right after the node is made (its operator's context refers to the node). */
  op: Operator;
  /** What the operator emitted and the execution has yet to deliver: [output tag, batch]. */
  readonly outbox: [string, ElementBatch][];
  readonly inputs: NodeInput[];
  /** The watermark of each input, by tag, and the inputs that ended. */
  readonly tagWatermarks: Map<string, number>;
  readonly endedTags: Set<string>;
  inWatermark: number;
  outWatermark: number;
  /** For sources: the watermark they set, and whether they are done. */
  sourceWatermark: number;
  sourceDone: boolean;
  /** For sources: whether the source said it is idle. */
  sourceIdle: boolean;
  /** Whether the node's output is idle: a source that said so, or a node whose inputs not ended are all idle. */
  idle: boolean;
  /** For sources that set a watermark per output: by PCollection, each at or above `outWatermark`. */
  readonly outputWatermarks: Map<string, number>;
  finished: boolean;
  /** Requested processing-time wakeups, ascending. */
  readonly wakeups: number[];
  /** The latest checkpoint whose barrier passed this node, and input held back until this node passes it. */
  passed: number;
  readonly held: [string, ElementBatch][];
  /** For sources that receive barriers: the latest barrier that arrived. */
  sourceBarrier: number;
  /** The state the operator declared, once it declares any. */
  declared: DeclaredState | null;
}

const UNSET: Operator = {
  processBatch() {
    throw new Error("internal: a node's operator was used before it was made");
  },
};

/**
 * Makes a node per planned transform, in the plan's (topological) order, with the operator
 * `operatorOf` makes for it, and wires each node's inputs to their producers.
 */
export function buildNodes(graph: PipelineGraph, plan: Plan, operatorOf: (transform: GraphTransform, node: ExecNode) => Operator): ExecNode[] {
  const nodes: ExecNode[] = [];
  const producerOf = new Map<string, ExecNode>();
  for (const { transform } of plan.nodes) {
    const node: ExecNode = {
      name: transform.uniqueName,
      index: nodes.length,
      op: UNSET,
      outbox: [],
      inputs: [],
      tagWatermarks: new Map(),
      endedTags: new Set(),
      inWatermark: MIN_TIMESTAMP,
      outWatermark: MIN_TIMESTAMP,
      sourceWatermark: MIN_TIMESTAMP,
      sourceDone: false,
      sourceIdle: false,
      idle: false,
      outputWatermarks: new Map(),
      finished: false,
      wakeups: [],
      passed: 0,
      held: [],
      sourceBarrier: 0,
      declared: null,
    };
    node.op = operatorOf(transform, node);
    nodes.push(node);
    for (const pc of Object.values(transform.outputs)) producerOf.set(pc, node);
  }
  for (const node of nodes) {
    for (const [tag, pc] of Object.entries(graph.transforms[node.name].inputs)) {
      const producer = producerOf.get(pc);
      if (!producer) throw new Error(`internal: no planned producer of ${pc}, input ${tag} of ${node.name}`);
      node.inputs.push({ tag, producer, pc });
      node.tagWatermarks.set(tag, MIN_TIMESTAMP);
    }
  }
  return nodes;
}
