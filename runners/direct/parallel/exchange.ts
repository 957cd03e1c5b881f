/**
 * The exchange operators. Exchange-out consumes an edge's PCollection on a sending worker and routes
 * each batch to the receiving workers' links (by key group, to worker 0, to all, or round-robin),
 * forwarding its input watermark, checkpoint barriers in order with the data and, at the end, end of
 * input; into a liftable combine it folds batches into the partial rows it holds, and sends those
 * before each of these. Exchange-in is a source on a receiving worker: it emits what its senders
 * send, its watermark is the minimum over the senders' that are not idle (while they all are, it is
 * idle and its watermark the largest of theirs), it aligns their barriers (counting the time from a
 * checkpoint's first barrier to its last as alignment), and it ends when every sender has ended.
 */
import type * as arrow from "apache-arrow";
import { ElementBatch, takeMetadata } from "../../../sdk/batch";
import { encodedBatch } from "../../../sdk/encoded-batch";
import { takeRecordBatch } from "../../../sdk/columns";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import { faultPoint } from "../faults/fault-points";
import type { BarrierForwarder, SourceDriver, SourceOperator } from "../contract/operator";
import { encodeKeys, keyColumns, utf8KeyAt, utf8Keys, type KeyPrimitive, type Utf8Keys } from "../data/keys";
import type { Operator, OperatorContext } from "../contract/operator";
import { KEY_GROUPS, keyGroupOf, workerOfKeyGroup } from "../data/key-groups";
import type { ExchangeEdge } from "./layout";
import { PreCombiner } from "../precombine/pre-combiner";
import { FLUSH_GROUPS } from "../precombine/partial-table";
import type { Inlet, LinkMessage, Outlet } from "./links";

/** The rows of `batch` at `indices` as a batch of their own (fresh buffers, which the caller owns). */
function take(batch: ElementBatch, indices: Int32Array): ElementBatch {
  return { data: takeRecordBatch(batch.data, indices), ...takeMetadata(batch, indices) };
}

/**
 * @internal The key group of row `i` of {@link Utf8Keys}: {@link keyGroupOf} of its string. Hashing
 * a string's UTF-16 code units, `hashKey` sees an ASCII string's bytes, so an ASCII key is hashed
 * straight from its bytes; any other key is decoded first.
 */
export function utf8KeyGroupAt(keys: Utf8Keys, i: number): number {
  const { bytes, offsets } = keys;
  const end = offsets[i + 1];
  let h = 0x811c9dc5;
  for (let j = offsets[i]; j < end; j++) {
    const b = bytes[j];
    if (b >= 0x80) return keyGroupOf(utf8KeyAt(keys, i));
    h = Math.imul(h ^ b, 0x01000193);
  }
  return ((h ^ (h >>> 15)) >>> 0) % KEY_GROUPS;
}

/**
 * The exchange-out operator of an edge on worker `self`, sending through `outlets` (by receiving
 * worker). `encode`: for a funnel into a sink whose batches encode apart from its writer, the sink's
 * encoding, so that every instance encodes its own rows and the writer only appends bytes.
 */
export function exchangeOutOperator(
  ctx: OperatorContext,
  edge: ExchangeEdge,
  outlets: ReadonlyMap<number, Outlet>,
  parallelism: number,
  self: number,
  encode?: (batch: arrow.RecordBatch) => Uint8Array,
): BarrierForwarder {
  const where = `transform "${edge.consumer}"`;
  const receivers = [...outlets.keys()].sort((a, b) => a - b);
  let next = self % Math.max(1, receivers.length);
  const all = [...outlets.values()];
  const preCombiner = edge.lift ? new PreCombiner(edge.lift) : null;
  const partials = preCombiner?.table ?? null;
  /** Routes rows by key group; `owned`: the batch's buffers are the operator's to give away. */
  const exchangeOut = (batch: ElementBatch, keys: readonly KeyPrimitive[] | Utf8Keys, owned: boolean) => {
    const n = keys.length;
    const target = new Uint16Array(n);
    const counts = new Int32Array(parallelism);
    const utf8 = "bytes" in keys ? keys : null;
    for (let i = 0; i < n; i++) {
      const w = workerOfKeyGroup(utf8 ? utf8KeyGroupAt(utf8, i) : keyGroupOf((keys as readonly KeyPrimitive[])[i]), parallelism);
      target[i] = w;
      counts[w]++;
    }
    for (let w = 0; w < parallelism; w++) {
      if (counts[w] === 0) continue;
      if (counts[w] === n) {
        outlets.get(w)!.send(batch, owned);
        return;
      }
      const idx = new Int32Array(counts[w]);
      for (let i = 0, j = 0; i < n; i++) if (target[i] === w) idx[j++] = i;
      outlets.get(w)!.send(take(batch, idx), true);
    }
  };
  /** Sends the partial rows held so far (before a watermark, a barrier or the end moves past them). */
  const flush = () => {
    const out = partials?.flush();
    if (!out) return;
    const n = out.data.numRows;
    const columns = keyColumns(out.data, edge.keyFields, where);
    exchangeOut(out, utf8Keys(columns, n) ?? encodeKeys(columns, n), true);
  };
  return {
    processBatch(_tag, batch) {
      const n = batch.data.numRows;
      if (n === 0) return;
      switch (edge.routing) {
        case "single":
          if (encode) outlets.get(0)!.send(encodedBatch(encode(batch.data), n), true);
          else outlets.get(0)!.send(batch, false);
          return;
        case "broadcast":
          for (const o of all) o.send(batch, false);
          return;
        case "rebalance":
          outlets.get(receivers[next])!.send(batch, false);
          next = (next + 1) % receivers.length;
          return;
        case "hash": {
          const columns = keyColumns(batch.data, edge.keyFields, where);
          let keys: KeyPrimitive[] | null = null;
          const keysOf = () => (keys ??= encodeKeys(columns, n));
          const folded = preCombiner?.apply(batch, keysOf) ?? null;
          if (folded !== null && partials) {
            ctx.count("preCombinedRows", folded);
            if (partials.size >= FLUSH_GROUPS) flush();
            return;
          }
          exchangeOut(batch, keysOf(), false);
          return;
        }
      }
    },
    onWatermark(watermark) {
      flush();
      for (const o of all) o.control({ t: "watermark", watermark });
    },
    onIdle(idle) {
      flush();
      for (const o of all) o.control({ t: "idle", idle });
    },
    forwardBarrier(checkpoint) {
      flush();
      for (const o of all) o.control({ t: "barrier", checkpoint });
    },
    finish() {
      flush();
      for (const o of all) o.control({ t: "end" });
    },
  };
}

/**
 * The exchange-in source of an edge, receiving through `inlets` (by sending worker). It aligns
 * checkpoint barriers: a link that delivered barrier k delivers nothing more until every link that
 * has not ended delivered it too; then the barrier passes on, with the time from its first arrival to
 * its last (the links' alignment; taken on barrier events only, never per batch).
 */
export function exchangeInOperator(ctx: OperatorContext, inlets: ReadonlyMap<number, Inlet>): SourceOperator {
  return {
    receivesBarriers: true,
    processBatch() {
      throw new Error(`internal: ${ctx.transform.uniqueName} has no inputs`);
    },
    async run(driver: SourceDriver) {
      const marks = new Map<number, number>([...inlets.keys()].map((s) => [s, MIN_TIMESTAMP]));
      let open = inlets.size;
      if (open === 0) return;
      const idle = new Set<number>();
      /**
       * Sets the watermark, the minimum over the senders not idle; idle while every sender not ended is.
       * A sender at the maximum watermark is ending (its end follows): it is left out as an ended one,
       * so that it does not lift the watermark past an idle sender's for the moment until its end comes.
       */
      const publish = () => {
        let wm = MAX_TIMESTAMP;
        let idleMax = MIN_TIMESTAMP;
        let active = false;
        let idleOnes = false;
        for (const [sender, mark] of marks) {
          if (done.has(sender) || mark >= MAX_TIMESTAMP) continue;
          if (idle.has(sender)) {
            idleOnes = true;
            if (mark > idleMax) idleMax = mark;
            continue;
          }
          active = true;
          if (mark < wm) wm = mark;
        }
        driver.setIdle(idleOnes && !active);
        // Every sender idle: the largest of their watermarks, as Flink's StatusWatermarkValve (nothing
        // comes to hold it back); every sender ended: the maximum.
        driver.setWatermark(active || !idleOnes ? wm : idleMax);
      };
      const done = new Set<number>();
      /** The checkpoint whose barrier is aligning: the links it arrived on, since when (`performance.now()`). */
      let aligning: { id: number; arrived: Set<number>; since: number; release: () => void; released: Promise<void> } | null = null;
      const passIfAligned = async (): Promise<void> => {
        const a = aligning;
        if (!a || ![...inlets.keys()].every((s) => a.arrived.has(s) || done.has(s))) return;
        aligning = null;
        await driver.barrier(a.id, performance.now() - a.since);
        a.release();
      };
      const ended = new Promise<void>((resolve, reject) => {
        for (const [sender, inlet] of inlets) {
          inlet.start(async (m: LinkMessage) => {
            if (m.kind === "data") {
              faultPoint("worker-batch");
              await driver.step(() => ctx.emit("main", m.body));
              return;
            }
            const c = m.body;
            if (c.t === "barrier") {
              if (!aligning || aligning.id < c.checkpoint) {
                let release = () => {};
                const released = new Promise<void>((r) => (release = r));
                aligning = { id: c.checkpoint, arrived: new Set(), since: performance.now(), release, released };
              }
              const a = aligning;
              a.arrived.add(sender);
              await passIfAligned();
              await a.released; // this link waits for the others
              return;
            }
            if (c.t === "idle") {
              if (c.idle) idle.add(sender);
              else idle.delete(sender);
              await driver.step(publish);
              return;
            }
            if (c.t === "watermark" || c.t === "end") {
              const wm = c.t === "end" ? MAX_TIMESTAMP : c.watermark;
              if (wm > marks.get(sender)!) marks.set(sender, wm);
              if (c.t === "end") done.add(sender);
              await driver.step(publish);
              if (c.t === "end") {
                await passIfAligned();
                if (--open === 0) resolve();
              }
            }
          }, reject);
        }
      });
      // A cancelled run (another part failed) stops waiting for senders.
      let poll: NodeJS.Timeout | undefined;
      const cancelled = new Promise<void>((resolve) => {
        // Not unref'd: while a failed run winds down, the wait keeps the thread alive until it sees the cancel.
        poll = setInterval(() => driver.read.cancelled && resolve(), 50);
      });
      try {
        await Promise.race([ended, cancelled]);
      } finally {
        clearInterval(poll);
      }
    },
  };
}
