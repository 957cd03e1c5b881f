/**
 * Watermark propagation, in topological order after every step: a node's input watermark is the
 * minimum over its inputs' output watermarks (a source's is the one it set), its output watermark
 * that held back by the operator's pending state. Inputs whose producers finished end; a node whose
 * inputs all ended finishes. A node aligning to a barrier does not move.
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
    if (node.inputs.length === 0) {
      inWm = node.sourceDone ? MAX_TIMESTAMP : node.sourceWatermark;
      allEnded = node.sourceDone;
    } else {
      inWm = MAX_TIMESTAMP;
      allEnded = true;
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
        inWm = Math.min(inWm, node.tagWatermarks.get(tag)!);
      }
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
