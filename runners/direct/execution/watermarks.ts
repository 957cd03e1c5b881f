/**
 * Watermark propagation, in topological order after every step: a node's input watermark is the
 * minimum over its inputs' output watermarks (a source's is the one it set), its output watermark
 * that held back by the operator's pending state. Inputs whose producers finished end; a node whose
 * inputs all ended finishes. Idle inputs (a source that said so, or a node whose inputs are all idle)
 * are left out of the minimum; while every input not ended is idle the node is idle and its input
 * watermark is the largest of theirs, as Flink's StatusWatermarkValve has it (nothing comes to hold
 * it back). A node aligning to a barrier does not move.
 */
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import type { Delivery } from "./delivery";
import type { ExecNode } from "./node";

/** Moves watermarks, ends inputs and finishes operators, in topological order. */
export async function propagateWatermarks(nodes: readonly ExecNode[], delivery: Delivery): Promise<void> {
  for (const node of nodes) {
    if (node.finished) continue;
    // While aligning to a barrier, nothing from inputs that passed it moves this node.
    if (node.inputs.some((i) => i.producer.passed > node.passed)) continue;
    let inWm: number;
    let allEnded: boolean;
    let tagMoved = false;
    let idle: boolean;
    if (node.inputs.length === 0) {
      inWm = node.sourceDone ? MAX_TIMESTAMP : node.sourceWatermark;
      allEnded = node.sourceDone;
      idle = node.sourceIdle && !node.sourceDone;
    } else {
      inWm = MAX_TIMESTAMP;
      allEnded = true;
      let active = false;
      let idleInputs = false;
      let idleMax = MIN_TIMESTAMP;
      for (const { tag, producer, pc } of node.inputs) {
        const w = Math.max(producer.outWatermark, producer.outputWatermarks.get(pc) ?? MIN_TIMESTAMP);
        if (w > node.tagWatermarks.get(tag)!) {
          node.tagWatermarks.set(tag, w);
          tagMoved = true;
        }
        if (producer.finished && !node.endedTags.has(tag)) {
          node.endedTags.add(tag);
          if (node.op.endOfInput) await delivery.run(node, () => node.op.endOfInput!(tag));
        }
        if (!producer.finished) allEnded = false;
        if (producer.idle && !producer.finished) {
          idleInputs = true;
          idleMax = Math.max(idleMax, node.tagWatermarks.get(tag)!);
          continue;
        }
        if (!producer.finished) active = true;
        inWm = Math.min(inWm, node.tagWatermarks.get(tag)!);
      }
      idle = idleInputs && !active;
      // Every input not ended is idle: the largest of their watermarks (as Flink's StatusWatermarkValve).
      if (idle) inWm = idleMax;
    }
    if (idle !== node.idle) {
      node.idle = idle;
      if (node.op.onIdle) await delivery.run(node, () => node.op.onIdle!(idle));
    }
    // One input's watermark moving matters even when the minimum stays (a side input becoming ready).
    if (inWm > node.inWatermark || (tagMoved && node.inputs.length > 1)) {
      node.inWatermark = Math.max(node.inWatermark, inWm);
      if (node.op.onWatermark) await delivery.run(node, () => node.op.onWatermark!(node.inWatermark));
    }
    if (allEnded) {
      node.finished = true;
      if (node.op.finish) await delivery.run(node, () => node.op.finish!());
      node.outWatermark = MAX_TIMESTAMP;
      node.wakeups.length = 0;
      continue;
    }
    const hold = node.op.watermarkHold ? node.op.watermarkHold() : MAX_TIMESTAMP;
    const out = Math.min(node.inWatermark, hold);
    if (out > node.outWatermark) node.outWatermark = out;
  }
}
