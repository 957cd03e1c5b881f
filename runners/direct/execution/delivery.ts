/**
 * The emit path: what an operator emitted goes, in order and depth first, to every consumer of the
 * output, which processes it and passes on what it emits in turn. A consumer still aligning to a
 * barrier its producer passed holds the batch instead. Errors of user code name the transform.
 */
import { BeamlineError, wrapUserError } from "../../../sdk/errors";
import type { PipelineGraph } from "../../../sdk/graph";
import type { Plan } from "../plan/planner";
import type { HeldInput } from "./held-input";
import { DEAD_LETTER_TAG } from "../../../sdk/dead-letter";
import { FIELD } from "../../metrics/sample";
import { batchBytes, type ExecutionMetrics } from "./metrics";
import type { ExecNode } from "./node";
import { faultPoint } from "../faults/fault-points";

/** Runs `f` for `node`; an error that is not a BeamlineError becomes a user-code error of the node's transform. */
export async function guard<T>(node: ExecNode, f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw e instanceof BeamlineError ? e : wrapUserError(e, node.name);
  }
}

/** A consumer of an output: the node and the input tag it reads the output on. */
interface Route {
  readonly target: ExecNode;
  readonly tag: string;
}

/** Delivers what nodes emit to their consumers. */
export class Delivery {
  /** By node index: each output tag's consumers. */
  private readonly routes: Map<string, Route[]>[];

  constructor(
    graph: PipelineGraph,
    plan: Plan,
    nodes: readonly ExecNode[],
    private readonly metrics: ExecutionMetrics,
    private readonly held: HeldInput,
  ) {
    metrics.track(nodes.length);
    const byName = new Map(nodes.map((n) => [n.name, n]));
    this.routes = nodes.map((n) => {
      const out = new Map<string, Route[]>();
      for (const [tag, pc] of Object.entries(graph.transforms[n.name].outputs)) {
        out.set(tag, (plan.consumers.get(pc) ?? []).map((c) => ({ target: byName.get(c.node)!, tag: c.tag })));
      }
      return out;
    });
  }

  /** Delivers everything in `node`'s outbox, and what that makes its consumers emit. */
  async drain(node: ExecNode): Promise<void> {
    const metrics = this.metrics;
    const rowsOut = metrics.rowsOut;
    const routes = this.routes[node.index];
    while (node.outbox.length > 0) {
      const [tag, batch] = node.outbox.shift()!;
      faultPoint("batch");
      const targets = routes.get(tag);
      if (targets === undefined) throw new Error(`internal: ${node.name} emitted to undeclared output ${tag}`);
      const rows = batch.data.numRows;
      const bytes = batchBytes(batch);
      rowsOut.set(node.name, (rowsOut.get(node.name) ?? 0) + rows);
      metrics.moved(node, null, rows, bytes);
      if (tag === DEAD_LETTER_TAG) {
        metrics.add(node, FIELD.deadLetterRows, rows);
        metrics.keepDeadLetters(node.name, batch);
      }
      for (const { target, tag: input } of targets) {
        if (node.passed > target.passed) {
          this.held.hold(target, input, batch); // after a barrier the target has yet to pass: aligning
          continue;
        }
        if (target.finished) throw new Error(`internal: ${node.name} emitted to ${target.name} after it finished`);
        metrics.moved(null, target, rows, bytes);
        const started = performance.now();
        await guard(target, () => target.op.processBatch(input, batch));
        metrics.add(target, FIELD.processingMs, performance.now() - started);
        await this.drain(target);
      }
    }
  }

  /** Runs hook `f` of `node`, then delivers what it emitted. */
  async run(node: ExecNode, f: () => unknown): Promise<void> {
    const started = performance.now();
    await guard(node, f);
    this.metrics.add(node, FIELD.processingMs, performance.now() - started);
    await this.drain(node);
  }
}
