/**
 * Executes a plan in one thread. Every source part reads concurrently, but the pipeline advances one
 * step at a time under a lock: a step delivers a source chunk (or a processing-time wakeup) through
 * every operator it reaches, then a pass in topological order moves watermarks forward — each
 * operator's input watermark is the minimum over its inputs, its output watermark is that held back by
 * the operator's pending state — signals end of input, and finishes operators whose inputs all ended.
 * Processing time is the wall clock, or a clock the run's TestStreams share (see simulated-clock.ts). Checkpoint
 * barriers pass through the operators within steps too (see {@link InstanceCheckpoints}).
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "../../../sdk/batch";
import { BeamlineError, wrapUserError } from "../../../sdk/errors";
import type { GraphTransform, PipelineGraph } from "../../../sdk/graph";
import { graphSchema } from "../../../sdk/pipeline";
import { namedCountersContainer, reportingMetricsTo } from "../../../sdk/metrics";
import { READ_URN } from "../../../sdk/source";
import type { ReadContext } from "../../../sdk/source";
import { MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import type { WindowingStrategy } from "../../../sdk/window";
import type { BarrierForwarder, CommitsAfterFinish, DirectOptions, Operator, OperatorContext, OperatorRegistry, OperatorSnapshot, SourceDriver, SourceOperator } from "../contract/operator";
import type { CheckpointControl, InstanceCheckpoints } from "../contract/checkpoints";
import type { FnLookup, RunMetrics } from "../contract/run-metrics";
import { readsStringsAsBytes } from "../plan/strings-as-bytes";
import type { Plan } from "../plan/planner";
import type { InstanceProgress } from "./progress";
import { SimulatedClock } from "./simulated-clock";

/** Options of one execution beyond the operators'. */
export interface ExecuteHooks {
  /** Cancels the run: sources stop, nothing commits, the run rejects. */
  readonly signal?: AbortSignal;
  /**
   * Backpressure: asked before a source's step is queued; when it returns a promise, the step waits
   * for it outside the lock, so other sources keep stepping (parallel runs hold sources whose
   * exchanges are full).
   */
  readonly admit?: (source: string) => Promise<void> | undefined;
  /** Checkpoints: state to restore, and where snapshots go. */
  readonly checkpoints?: InstanceCheckpoints;
  /**
   * Receives, before the run starts, a probe of its progress: rows read so far and the slowest
   * watermark. Each call is a pass over the transforms; read it from a timer, not per row.
   */
  readonly observe?: (probe: () => InstanceProgress) => void;
  /**
   * Whether a consumer reads string columns only as bytes (see `strings-as-bytes.ts`); by default, the
   * combines {@link readsStringsAsBytes} names.
   */
  readonly readsStringsAsBytes?: (consumer: GraphTransform) => boolean;
}

interface Input {
  readonly tag: string;
  readonly producer: Node;
  /** The PCollection the input reads (a source may give each of its outputs a watermark). */
  readonly pc: string;
}

interface Node {
  readonly name: string;
  readonly index: number;
  readonly op: Operator;
  readonly outbox: [string, ElementBatch][];
  readonly inputs: Input[];
  readonly tagWatermarks: Map<string, number>;
  readonly endedTags: Set<string>;
  inWatermark: number;
  outWatermark: number;
  /** For sources: the watermark they set, and whether they are done. */
  sourceWatermark: number;
  sourceDone: boolean;
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
}

/** Runs a plan to completion. */
export async function execute(
  graph: PipelineGraph,
  plan: Plan,
  registry: OperatorRegistry,
  fns: FnLookup,
  options: DirectOptions,
  hooks: ExecuteHooks = {},
): Promise<RunMetrics> {
  const schemas = new Map<string, arrow.Schema | null>();
  const schemaOf = (id: string) => {
    if (!schemas.has(id)) schemas.set(id, graphSchema(graph.pcollections[id]));
    return schemas.get(id)!;
  };
  const windowingOf = (id: string): WindowingStrategy => graph.windowingStrategies[graph.pcollections[id].windowing];
  const rowsOut = new Map<string, number>();
  const counters = new Map<string, Map<string, number>>();
  const nodes: Node[] = [];
  const byName = new Map<string, Node>();
  const producerOf = new Map<string, Node>();

  let clock: SimulatedClock | null = null;
  const now = () => (clock ? clock.now() : Date.now());

  for (const { transform } of plan.nodes) {
    const outbox: [string, ElementBatch][] = [];
    const name = transform.uniqueName;
    let node: Node;
    const ctx: OperatorContext = {
      transform,
      graph,
      options,
      emit: (tag, batch) => {
        outbox.push([tag, batch]);
      },
      fn: <T>() => fns(name) as T,
      schemaOf,
      windowingOf,
      stringsReadAsBytes: (id: string) => {
        const consumers = plan.consumers.get(id) ?? [];
        const bytes = hooks.readsStringsAsBytes ?? readsStringsAsBytes;
        return consumers.length > 0 && consumers.every((c) => bytes(graph.transforms[c.node]));
      },
      inputWatermark: (tag?: string) => (tag === undefined ? node.inWatermark : node.tagWatermarks.get(tag) ?? MIN_TIMESTAMP),
      processingTime: now,
      wakeAt: (at: number) => {
        const w = node.wakeups;
        let i = w.length;
        while (i > 0 && w[i - 1] > at) i--;
        if (w[i - 1] !== at) w.splice(i, 0, at);
        scheduleWakeup();
      },
      count: (counter: string, n: number) => {
        let m = counters.get(name);
        if (!m) counters.set(name, (m = new Map()));
        m.set(counter, (m.get(counter) ?? 0) + n);
      },
    };
    // User metrics updated while the operator runs its functions count as the transform's counters.
    const op = reportingMetricsTo(registry.get(transform.urn)!(ctx), namedCountersContainer(ctx.count));
    node = {
      name,
      index: nodes.length,
      op,
      outbox,
      inputs: [],
      tagWatermarks: new Map(),
      endedTags: new Set(),
      inWatermark: MIN_TIMESTAMP,
      outWatermark: MIN_TIMESTAMP,
      sourceWatermark: MIN_TIMESTAMP,
      sourceDone: false,
      outputWatermarks: new Map(),
      finished: false,
      wakeups: [],
      passed: 0,
      held: [],
      sourceBarrier: 0,
    };
    nodes.push(node);
    byName.set(name, node);
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
  const sources = nodes.filter((n) => n.inputs.length === 0);
  const clocked = sources.filter((n) => (n.op as SourceOperator).simulatedClock);
  if (clocked.length > 0) clock = new SimulatedClock(clocked.length);

  const guard = async <T>(node: Node, f: () => T | Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw e instanceof BeamlineError ? e : wrapUserError(e, node.name);
    }
  };

  const drain = async (node: Node): Promise<void> => {
    while (node.outbox.length > 0) {
      const [tag, batch] = node.outbox.shift()!;
      const pc = graph.transforms[node.name].outputs[tag];
      if (pc === undefined) throw new Error(`internal: ${node.name} emitted to undeclared output ${tag}`);
      rowsOut.set(node.name, (rowsOut.get(node.name) ?? 0) + batch.data.numRows);
      for (const c of plan.consumers.get(pc)!) {
        const target = byName.get(c.node)!;
        if (node.passed > target.passed) {
          target.held.push([c.tag, batch]); // after a barrier the target has yet to pass: aligning
          heldBatches++;
          continue;
        }
        if (target.finished) throw new Error(`internal: ${node.name} emitted to ${c.node} after it finished`);
        await guard(target, () => target.op.processBatch(c.tag, batch));
        await drain(target);
      }
    }
  };

  /** Moves watermarks, ends inputs and finishes operators, in topological order. */
  const propagate = async (): Promise<void> => {
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
            if (node.op.endOfInput) {
              await guard(node, () => node.op.endOfInput!(tag));
              await drain(node);
            }
          }
          if (!producer.finished) allEnded = false;
          inWm = Math.min(inWm, node.tagWatermarks.get(tag)!);
        }
      }
      // One input's watermark moving matters even when the minimum stays (a side input becoming ready).
      if (inWm > node.inWatermark || (tagMoved && node.inputs.length > 1)) {
        node.inWatermark = Math.max(node.inWatermark, inWm);
        if (node.op.onWatermark) {
          await guard(node, () => node.op.onWatermark!(node.inWatermark));
          await drain(node);
        }
      }
      if (allEnded) {
        node.finished = true;
        if (node.op.finish) {
          await guard(node, () => node.op.finish!());
          await drain(node);
        }
        node.outWatermark = MAX_TIMESTAMP;
        node.wakeups.length = 0;
        continue;
      }
      const hold = node.op.watermarkHold ? node.op.watermarkHold() : MAX_TIMESTAMP;
      const out = Math.min(node.inWatermark, hold);
      if (out > node.outWatermark) node.outWatermark = out;
    }
  };

  /** Delivers every processing-time wakeup due at the current time, earliest first. */
  const deliverDue = async (): Promise<void> => {
    const t = now();
    for (let guardCount = 0; ; guardCount++) {
      let best: Node | null = null;
      for (const n of nodes) if (!n.finished && n.wakeups.length > 0 && n.wakeups[0] <= t && (!best || n.wakeups[0] < best.wakeups[0])) best = n;
      if (!best) return;
      if (guardCount > 1_000_000) throw new Error(`internal: processing-time wakeups of ${best.name} never stop at ${t}`);
      best.wakeups.shift();
      const target = best;
      if (target.op.onProcessingTime) {
        await guard(target, () => target.op.onProcessingTime!(t));
        await drain(target);
      }
      await propagate();
    }
  };

  // The lock: steps run one after another; the first failure fails the run and skips later steps.
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  let cancelled = false;
  const cancelWaiters = new Set<() => void>();
  const cancel = () => {
    cancelled = true;
    for (const w of cancelWaiters) w();
    cancelWaiters.clear();
  };
  /** Resolves once `p` does, or at once when the run is cancelled. */
  const orCancelled = (p: Promise<void>): Promise<void> => {
    if (cancelled) return Promise.resolve();
    let stop = () => {};
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    cancelWaiters.add(stop);
    return Promise.race([p, stopped]).then(() => {
      cancelWaiters.delete(stop);
    });
  };
  let yieldedAt = Date.now();
  const step = (f: () => void | Promise<void>): Promise<void> => {
    const p = chain.then(async () => {
      if (failure !== null || cancelled) return;
      // A busy run steps on microtasks alone: let timers and other threads' messages (checkpoint
      // triggers, credits) in at least every few milliseconds.
      if (Date.now() - yieldedAt > 10) {
        await new Promise((resolve) => setImmediate(resolve));
        yieldedAt = Date.now();
      }
      try {
        await f();
        await propagate();
        if (inProgress) {
          await advance(inProgress);
          await propagate(); // what passed the barrier may move on (it was held back while aligning)
        }
      } catch (e) {
        failure ??= e;
        cancel();
      }
    });
    chain = p;
    return p;
  };

  const commitsAfterFinish = (n: Node) => (n.op as Partial<CommitsAfterFinish>).commitsAfterFinish === true;
  /** Batches held back by aligning nodes; sources past the barrier wait for them (see `driver.step`). */
  let heldBatches = 0;
  const alignWaiters: (() => void)[] = [];
  /** The checkpoint whose barrier is passing through this execution, if any. */
  let inProgress: { id: number; triggered: boolean; snapshots: Map<string, OperatorSnapshot> } | null = null;
  const begin = (id: number) => {
    if (!inProgress || inProgress.id < id) inProgress = { id, triggered: false, snapshots: new Map() };
    return inProgress.id === id ? inProgress : null;
  };
  /**
   * Passes the checkpoint's barrier through every node that can pass it, in topological order: a read
   * source once triggered, an exchange-in once the barrier arrived on all its links, any other node
   * once all its producers passed it, a finished node at once. A node passing it snapshots, forwards
   * it (exchange-out), then takes the input it held back. In a step.
   */
  const advance = async (cp: NonNullable<typeof inProgress>): Promise<void> => {
    const id = cp.id;
    for (const n of nodes) {
      if (n.passed >= id) continue;
      const src = n.op as SourceOperator;
      const ready = n.finished || (n.inputs.length === 0 ? (src.receivesBarriers ? n.sourceBarrier >= id : cp.triggered) : n.inputs.every((i) => i.producer.passed >= id));
      if (!ready) continue;
      if (n.op.snapshot) {
        const state = !n.finished || commitsAfterFinish(n) ? await guard(n, () => n.op.snapshot!(id)) : {};
        cp.snapshots.set(n.name, n.finished ? { ...state, finished: true } : state);
      }
      n.passed = id;
      const fwd = n.op as BarrierForwarder;
      if (!n.finished && typeof fwd.forwardBarrier === "function") fwd.forwardBarrier(id);
      while (n.held.length > 0) {
        const [tag, batch] = n.held.shift()!;
        heldBatches--;
        await guard(n, () => n.op.processBatch(tag, batch));
        await drain(n);
      }
    }
    if (heldBatches === 0) for (const w of alignWaiters.splice(0)) w();
    if (nodes.every((n) => n.passed >= id)) {
      inProgress = null;
      hooks.checkpoints!.acknowledge(id, cp.snapshots);
    }
  };
  /** Runs a checkpoint step; rejects if the run failed (a step after the run ended fails only itself). */
  const checkpointStep = async (f: () => void | Promise<void>): Promise<void> => {
    await step(f);
    if (failure !== null) throw failure;
  };
  const control: CheckpointControl = {
    trigger: (id) =>
      checkpointStep(() => {
        const cp = begin(id);
        if (cp) cp.triggered = true;
      }),
    complete: (id) =>
      checkpointStep(async () => {
        for (const n of nodes) {
          if ((n.finished && !commitsAfterFinish(n)) || n.passed < id || !n.op.onCheckpointComplete) continue;
          await guard(n, () => n.op.onCheckpointComplete!(id));
          if (n.finished) n.outbox.length = 0; // its consumers have finished: what it publishes now goes nowhere
          else await drain(n);
        }
      }),
  };

  let timer: NodeJS.Timeout | null = null;
  let timerAt = Infinity;
  function scheduleWakeup(): void {
    if (clock) return;
    let earliest = Infinity;
    for (const n of nodes) if (!n.finished && n.wakeups.length > 0 && n.wakeups[0] < earliest) earliest = n.wakeups[0];
    if (earliest >= timerAt) return;
    if (timer) clearTimeout(timer);
    timerAt = earliest;
    timer = setTimeout(() => {
      timer = null;
      timerAt = Infinity;
      void step(deliverDue).then(scheduleWakeup);
    }, Math.max(0, earliest - Date.now()));
  }

  const readContext: ReadContext = {
    processingTime: now,
    get cancelled() {
      return cancelled;
    },
    sleep: (ms: number) =>
      new Promise<boolean>((resolve) => {
        if (cancelled) return resolve(false);
        const done = () => {
          clearTimeout(t);
          cancelWaiters.delete(done);
          resolve(!cancelled);
        };
        const t = setTimeout(done, ms);
        cancelWaiters.add(done);
      }),
  };
  const onAbort = () => {
    failure ??= new BeamlineError({ code: "BL_CANCELLED", domain: "user", rule: "the run was cancelled", fix: "run it again to completion" });
    cancel();
  };
  hooks.signal?.addEventListener("abort", onAbort);
  if (hooks.observe) {
    const reads = nodes.filter((n) => graph.transforms[n.name].urn === READ_URN);
    hooks.observe(() => {
      let rows = 0;
      for (const n of reads) rows += rowsOut.get(n.name) ?? 0;
      let watermark = MAX_TIMESTAMP;
      for (const n of nodes) if (n.outWatermark < watermark) watermark = n.outWatermark;
      return { rows, watermark };
    });
  }

  let failed = false;
  try {
    for (const n of nodes) if (n.op.open) await guard(n, () => n.op.open!());
    const restored = hooks.checkpoints?.restored;
    if (restored) {
      for (const n of nodes) {
        const state = restored.get(n.name);
        if (state?.finished) {
          // Finished on every instance when the checkpoint was taken: it stays finished.
          n.finished = true;
          n.sourceDone = true;
          n.outWatermark = MAX_TIMESTAMP;
        }
        if (state && n.op.restore && (!state.finished || commitsAfterFinish(n))) await guard(n, () => n.op.restore!(state));
      }
    }
    if (hooks.signal?.aborted) onAbort();
    hooks.checkpoints?.attach(control);
    /** Moves the shared simulated clock once no stream has events at its time, firing what became due. */
    const moveClock = async (): Promise<void> => {
      while (clock!.advance()) await deliverDue();
      clock!.wake();
    };
    const runs = sources.map(async (node) => {
      const src = node.op as SourceOperator;
      const stream = clocked.indexOf(node);
      if (typeof src.run === "function" && !node.finished) {
        const driver: SourceDriver = {
          read: readContext,
          step: (f) => {
            // A TestStream steps only in its turn on the shared clock.
            if (stream >= 0 && !cancelled) return orCancelled(clock!.turn(stream)).then(() => stepNow(f));
            return stepNow(f);
          },
          setWatermark: (wm, outputs) => {
            if (wm > node.sourceWatermark) node.sourceWatermark = wm;
            for (const [tag, mark] of Object.entries(outputs ?? {})) {
              const pc = graph.transforms[node.name].outputs[tag];
              if (pc !== undefined && mark > (node.outputWatermarks.get(pc) ?? MIN_TIMESTAMP)) node.outputWatermarks.set(pc, mark);
            }
          },
          advanceProcessingTime: (to) =>
            step(async () => {
              if (stream < 0) throw new Error(`internal: ${node.name} advanced a simulated clock it does not drive`);
              clock!.waitFor(stream, to);
              await moveClock();
            }),
          barrier: (id) =>
            step(() => {
              if (begin(id)) node.sourceBarrier = id;
            }),
        };
        const stepNow = (f: () => void | Promise<void>): Promise<void> => {
          // Past the barrier of the checkpoint in flight while input is held back for it: what this
          // source emits now would only be held too, so it waits (held input stays bounded).
          if (heldBatches > 0 && inProgress && node.passed >= inProgress.id && !cancelled) {
            return orCancelled(new Promise<void>((resolve) => alignWaiters.push(resolve))).then(() => driver.step(f));
          }
          const run = () =>
            step(async () => {
              await guard(node, f);
              await drain(node);
            });
          const wait = hooks.admit?.(node.name);
          // A cancelled run stops waiting for room (a worker that would make it died).
          return wait ? orCancelled(wait).then(run) : run();
        };
        try {
          await guard(node, () => src.run(driver));
        } catch (e) {
          failure ??= e;
          cancel();
        }
      }
      await step(async () => {
        node.sourceDone = true;
        if (stream >= 0) {
          clock!.end(stream);
          await moveClock();
        }
      });
    });
    await step(() => {});
    await Promise.all(runs);
    await chain;
    if (failure !== null) throw failure;
    const stuck = nodes.filter((n) => !n.finished).map((n) => n.name);
    if (stuck.length > 0) throw new Error(`internal: transforms never finished: ${stuck.join(", ")}`);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
    hooks.signal?.removeEventListener("abort", onAbort);
    const errors: unknown[] = [];
    for (const n of nodes) {
      if (n.op.close) {
        try {
          await n.op.close(failed);
        } catch (e) {
          errors.push(e);
        }
      }
    }
    if (!failed && errors.length > 0) throw errors[0];
  }
  return { rowsOut, counters, watermarks: new Map(nodes.map((n) => [n.name, n.outWatermark])) };
}
