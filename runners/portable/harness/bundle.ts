/**
 * Executes process bundle descriptors: builds a small operator graph from a descriptor (data sources
 * and sinks on the data channel, Beamline DoFns, flatten and window assignment), then runs bundles
 * through it — element counts and progress as monitoring infos, channel splits on request.
 */
import type * as arrow from "apache-arrow";
import { GLOBAL_WINDOWS, paneAt, paneFlags, PaneTiming, type ElementBatch } from "../../../sdk/batch";
import { wrapUserError } from "../../../sdk/errors";
import type { PipelineGraph } from "../../../sdk/graph";
import { ParDoInvoker } from "../../../sdk/invoker";
import type { ParDoFn } from "../../../sdk/pardo";
import { isStatefulParDo } from "../../../sdk/payload";
import { graphSchema } from "../../../sdk/pipeline";
import { rowsToRecordBatch } from "../../../sdk/rows";
import { inferSchema } from "../../../sdk/schema";
import { DEFAULT_METRICS_NAMESPACE, MetricsCell, withMetricsContainer } from "../../../sdk/metrics";
import { MIN_TIMESTAMP } from "../../../sdk/time";
import type { SequencedWriter, Sink, SinkWriter } from "../../../sdk/sink";
import type { ValueState } from "../../../sdk/state";
import type { BoundedSource } from "../../../sdk/source";
import type { JsonValue } from "../../../sdk/graph";
import { assignWindows, GLOBAL_WINDOW, sideInputWindow, Window, WindowFnSpec } from "../../../sdk/window";
import { Coder, CoderProto, coderFromProto, CODER_URNS, encodeOne, TimerValue, WindowedValue } from "../coders/coders";
import type { Protos } from "../model/protos";
import { BEAMLINE_DOFN_URN, BeamlineDoFnPayload, COMBINE_URNS, SEQUENCE_STATE } from "../model/payloads";
import { combinePhaseOf } from "./combine-phases";
import { foreignFunction } from "./payload-checks";
import { checkFingerprint } from "../../runtime/fingerprint";
import { InvariantError, RunnerProtocolError } from "../model/errors";
import { ByteReader, ByteWriter } from "../coders/wire";
import { timerStreamId, type DataChannel, type DataWriter, type StateChannel } from "./channels";
import { decodeElements, Elements, encodeElements, RowBatch, sizeOf, toElementBatch, toRowBatch } from "./elements";
import { userMetricInfos } from "./metrics";
import { processSized, SDF_URNS, pairWithRestriction, splitAndSize, truncateSized, type SdfCheckpoint } from "./sdf";
import { BagCache, CrossBundleStateCache, UserStateCache } from "./state";
import { BundleProgress } from "./finalization";
import { StatefulDoFn, StatefulOperator } from "./stateful";

/** What the harness needs of the pipeline: its graph and its runtime objects by transform name. */
export interface PipelineRuntime {
  readonly graph: PipelineGraph;
  readonly fingerprint: string;
  fn<T>(transform: string): T;
}

/** Channels a bundle uses. */
export interface BundleChannels {
  data(url: string): DataChannel;
  state(url: string): StateChannel;
}

interface Operator {
  /** Once per bundle, before data. */
  start?(): Promise<void> | void;
  /** Elements on an input PCollection. */
  process(input: string, b: Elements): Promise<void> | void;
  /** Once per bundle, after all input. */
  finish?(): Promise<void> | void;
  /** A splittable read's checkpoint: stops the element it reads where it is (see SdfProcessOperator). */
  checkpoint?(): SdfCheckpoint | null;
  /** The timer families whose firings a stateful DoFn receives on the timer data channel. */
  readonly timers?: { readonly channel: DataChannel; readonly families: string[]; fire(family: string, data: Buffer): Promise<void> };
}

interface TransformProto {
  uniqueName: string;
  spec: { urn: string; payload?: Buffer };
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

/** A source whose messages a runner pulls itself (the "parseMessages" role): Pub/Sub's. */
interface MessageParser {
  parseDelivered(data: readonly Uint8Array[], timestamps: Float64Array): { tag: string; batch: ElementBatch }[];
}

/** A sink whose messages a runner publishes itself (the "encodeMessages" role): Pub/Sub's. */
interface MessageEncoder {
  encodeMessages(batch: ElementBatch): Uint8Array[];
}

/** A registered descriptor, able to run any number of bundles (one at a time). */
export class BundleProcessor {
  private readonly coders = new Map<string, Coder>();
  private readonly transforms: Record<string, TransformProto>;
  private readonly order: string[];
  private readonly setups = new Map<string, ParDoInvoker>();
  private instruction = "";
  private ops = new Map<string, Operator>();
  private consumers = new Map<string, { transform: string; input: string }[]>();
  private counts_ = new Map<string, number>();
  /** Bags of earlier bundles still current in this one (null when the runner gave no cache token). */
  private bagCache: BagCache | null = null;
  /** The sequenced writers of each writeSequenced operator, by shard. */
  private readonly sequencedWriters = new Map<string, Map<number, SequencedWriter>>();
  /** User metrics of the current bundle, by graph transform. */
  private metrics_ = new Map<string, MetricsCell>();
  private writers: DataWriter[] = [];
  /** Elements read per data source and the split point a channel split set, if any. */
  private sources = new Map<string, { read: number; stopAt: number }>();
  /** Residuals of the current bundle's splittable reads (`DelayedBundleApplication`s). */
  private residuals: Record<string, unknown>[] = [];
  /** Positions the current bundle's reads reached on sources that publish their progress, for its finalization. */
  private progress = new BundleProgress();

  constructor(
    private readonly descriptor: any,
    private readonly protos: Protos,
    private readonly runtime: PipelineRuntime,
    private readonly channels: BundleChannels,
    /** User state kept across this harness's bundles under the runner's cache tokens. */
    private readonly stateCache: CrossBundleStateCache = new CrossBundleStateCache(),
  ) {
    this.transforms = descriptor.transforms;
    this.order = topologicalOrder(this.transforms);
  }

  private coder(id: string): Coder {
    return coderFromProto(id, this.descriptor.coders as Record<string, CoderProto>, this.protos, this.coders);
  }

  /** The Beamline row shape of a PCollection's decoded values. */
  private shapeOf(coderId: string): (v: unknown) => unknown {
    const wv = this.descriptor.coders[coderId];
    let elem = this.descriptor.coders[wv.componentCoderIds?.[0]];
    while (elem && elem.spec.urn === CODER_URNS.lengthPrefix) elem = this.descriptor.coders[elem.componentCoderIds[0]];
    const value = elem?.spec.urn === CODER_URNS.kv ? this.descriptor.coders[elem.componentCoderIds[1]] : null;
    if (value && value.spec.urn === CODER_URNS.iterable) return (v) => ({ key: (v as any).key, values: (v as any).value });
    return (v) => v;
  }

  private schemaOf(pc: string): arrow.Schema | null {
    const g = this.runtime.graph.pcollections[pc];
    return g ? graphSchema(g) : null;
  }

  private emit(pc: string, b: Elements): Promise<void> | void {
    const n = sizeOf(b);
    if (n === 0) return;
    this.counts_.set(pc, (this.counts_.get(pc) ?? 0) + n);
    const cs = this.consumers.get(pc) ?? [];
    if (cs.length === 1) return this.ops.get(cs[0].transform)!.process(pc, b);
    return (async () => {
      for (const c of cs) await this.ops.get(c.transform)!.process(pc, b);
    })();
  }

  /** Runs one bundle to completion; resolves to its monitoring infos. `cacheTokens` are the request's. */
  async process(instructionId: string, cacheTokens: { userState?: unknown; token?: Uint8Array }[] = []): Promise<any[]> {
    this.instruction = instructionId;
    this.bagCache = this.stateCache.forToken(cacheTokens.find((t) => t.userState)?.token);
    this.counts_ = new Map();
    this.metrics_ = new Map();
    this.writers = [];
    this.sources = new Map();
    this.residuals = [];
    this.progress = new BundleProgress();
    this.consumers = new Map();
    for (const [id, t] of Object.entries(this.transforms)) {
      for (const pc of Object.values(t.inputs ?? {})) {
        let l = this.consumers.get(pc);
        if (!l) this.consumers.set(pc, (l = []));
        l.push({ transform: id, input: pc });
      }
    }
    this.ops = new Map();
    for (const id of this.order) this.ops.set(id, await this.makeOperator(id, this.transforms[id]));
    for (const id of this.order) await this.ops.get(id)!.start?.();

    // Feed every data source in arrival order, one chunk at a time.
    const inputs = this.order.filter((id) => this.transforms[id].spec.urn === "beam:runner:source:v1");
    const done: Promise<void>[] = [];
    const channelsUsed: { channel: DataChannel; ids: string[] }[] = [];
    let queue: Promise<void> = Promise.resolve();
    for (const id of inputs) {
      const t = this.transforms[id];
      const port = this.protos.decode("fn.RemoteGrpcPort", t.spec.payload ?? Buffer.alloc(0));
      const channel = this.channels.data(port.apiServiceDescriptor.url);
      channelsUsed.push({ channel, ids: [id] });
      const coder = this.coder(port.coderId) as Coder<WindowedValue>;
      const shape = this.shapeOf(port.coderId);
      const out = Object.values(t.outputs)[0];
      const src = { read: 0, stopAt: Infinity };
      this.sources.set(id, src);
      done.push(
        new Promise<void>((resolve, reject) => {
          channel.register(instructionId, id, (data, isLast) => {
            queue = queue.then(async () => {
              if (data.length > 0) {
                let rb = decodeElements(coder, data, shape);
                if (src.read + rb.rows.length > src.stopAt) rb = sliceRows(rb, Math.max(0, src.stopAt - src.read));
                src.read += rb.rows.length;
                await this.emit(out, rb);
              }
              if (isLast) resolve();
            });
            queue.catch(reject);
          });
        }),
      );
    }
    // Timer firings of stateful DoFns, one stream per timer family, in the same arrival order.
    for (const [id, op] of this.ops) {
      const timers = op.timers;
      if (!timers) continue;
      const channel = timers.channel;
      channelsUsed.push({ channel, ids: timers.families.map((f) => timerStreamId(id, f)) });
      for (const family of timers.families) {
        done.push(
          new Promise<void>((resolve, reject) => {
            channel.register(instructionId, timerStreamId(id, family), (data, isLast) => {
              queue = queue.then(async () => {
                if (data.length > 0) await timers.fire(family, data);
                if (isLast) resolve();
              });
              queue.catch(reject);
            });
          }),
        );
      }
    }
    try {
      await Promise.all(done);
      await queue;
      for (const id of this.order) await this.ops.get(id)!.finish?.();
      for (const w of this.writers) w.flush(true);
    } finally {
      for (const c of channelsUsed) c.channel.unregister(instructionId, c.ids);
    }
    return this.monitoringInfos();
  }

  /** What the current (or finished) bundle left for the runner to resume: its splittable reads' residuals. */
  residualRoots(): Record<string, unknown>[] {
    return this.residuals;
  }

  /** The progress the current (or finished) bundle made on sources that publish it, to publish once the runner finalizes the bundle. */
  bundleProgress(): BundleProgress {
    return this.progress;
  }

  /** Elements seen per PCollection in the current bundle. */
  counts(): Record<string, number> {
    return Object.fromEntries(this.counts_);
  }

  /** The user metrics container of a transform in the current bundle. */
  private metricsOf(transform: string): MetricsCell {
    let m = this.metrics_.get(transform);
    if (!m) this.metrics_.set(transform, (m = new MetricsCell()));
    return m;
  }

  /** Monitoring infos of the running (or finished) bundle: element counts per PCollection and user metrics per transform. */
  monitoringInfos(): any[] {
    return [...this.elementCountInfos(), ...userMetricInfos(this.metrics_)];
  }

  private elementCountInfos(): any[] {
    return [...this.counts_.entries()].map(([pc, n]) => ({
      urn: "beam:metric:element_count:v1",
      type: "beam:metrics:sum_int64:v1",
      payload: encodeOne(this.coder(this.varintCoderId()), n),
      labels: { PCOLLECTION: pc },
    }));
  }

  private varintId = "";
  private varintCoderId(): string {
    if (!this.varintId) {
      this.varintId = "beamline:varint";
      this.descriptor.coders[this.varintId] = { spec: { urn: CODER_URNS.varint }, componentCoderIds: [] };
    }
    return this.varintId;
  }

  /**
   * Answers a split request: splits each requested data source at the first element not yet read at
   * or after the requested fraction of the remainder. A checkpoint (fraction 0) of a data source
   * feeding a splittable read stops the element being read where it is: this bundle keeps what it
   * read (the primary), the runner gets the rest of the element (the residual) and the elements after
   * it. Returns the roots and channel splits (none to decline).
   */
  split(request: { desiredSplits?: Record<string, { fractionOfRemainder: number; estimatedInputElements?: number }> }): any {
    const channelSplits: any[] = [];
    const primaryRoots: Record<string, unknown>[] = [];
    const residualRoots: Record<string, unknown>[] = [];
    for (const [id, desired] of Object.entries(request.desiredSplits ?? {})) {
      const src = this.sources.get(id);
      if (!src) continue;
      const checkpoint = desired.fractionOfRemainder > 0 ? null : this.checkpointReadOf(id);
      if (checkpoint) {
        // The batch being read came in whole, and is the last the data source passed on.
        const at = src.read - checkpoint.count + checkpoint.index;
        src.stopAt = at + 1;
        primaryRoots.push(checkpoint.primary);
        residualRoots.push(checkpoint.residual);
        channelSplits.push({ transformId: id, lastPrimaryElement: at, firstResidualElement: at + 1 });
        continue;
      }
      if (!desired.estimatedInputElements) continue;
      const total = Math.min(desired.estimatedInputElements, src.stopAt);
      const remaining = total - src.read;
      if (remaining <= 1) continue;
      const at = src.read + Math.max(1, Math.ceil(remaining * desired.fractionOfRemainder));
      if (at >= total) continue;
      src.stopAt = at;
      channelSplits.push({ transformId: id, lastPrimaryElement: at - 1, firstResidualElement: at });
    }
    return { primaryRoots, residualRoots, channelSplits };
  }

  /** Stops every splittable read in progress where it is (the harness closes: what they did not read is the runner's to resume). */
  stopReads(): void {
    for (const id of this.sources.keys()) this.checkpointReadOf(id);
  }

  /** Checkpoints the splittable read the data source `id` feeds, if one is reading. */
  private checkpointReadOf(id: string): SdfCheckpoint | null {
    for (const pc of Object.values(this.transforms[id].outputs)) {
      for (const c of this.consumers.get(pc) ?? []) {
        const checkpoint = this.ops.get(c.transform)?.checkpoint?.();
        if (checkpoint) return checkpoint;
      }
    }
    return null;
  }

  /** Calls teardown on every DoFn set up by this processor. */
  async teardown(): Promise<void> {
    for (const inv of this.setups.values()) await inv.teardown();
  }

  private async makeOperator(id: string, t: TransformProto): Promise<Operator> {
    const outs = Object.values(t.outputs ?? {});
    switch (t.spec.urn) {
      case "beam:runner:source:v1":
        return { process: () => {} };
      case "beam:runner:sink:v1": {
        const port = this.protos.decode("fn.RemoteGrpcPort", t.spec.payload ?? Buffer.alloc(0));
        const coder = this.coder(port.coderId) as Coder<WindowedValue>;
        const writer = this.channels.data(port.apiServiceDescriptor.url).writer(this.instruction, id);
        this.writers.push(writer);
        const w = new ByteWriter();
        return {
          process: (_pc, b) => {
            w.reset();
            encodeElements(coder, b, w);
            writer.write(w.finish());
          },
        };
      }
      case "beam:transform:flatten:v1":
        return { process: (_pc, b) => this.emit(outs[0], b) };
      case COMBINE_URNS.precombine:
      case COMBINE_URNS.merge:
      case COMBINE_URNS.extract:
      case COMBINE_URNS.groupedValues: {
        const input = this.descriptor.pcollections[Object.values(t.inputs)[0]];
        const outputTime = this.descriptor.windowingStrategies[input.windowingStrategyId]?.outputTime;
        const phase = combinePhaseOf(t, this.protos, this.runtime, outputTime, (b) => this.emit(outs[0], b));
        return { process: (_pc, b) => phase.process(b), finish: () => phase.finish?.() };
      }
      case "beam:transform:window_into:v1": {
        const payload = this.protos.decode("pipeline.WindowIntoPayload", t.spec.payload ?? Buffer.alloc(0));
        const fn = windowFnFromProto(this.protos, payload.windowFn);
        return { process: (_pc, b) => this.emit(outs[0], assign(fn, b)) };
      }
      case SDF_URNS.pairWithRestriction:
      case SDF_URNS.splitAndSize:
      case SDF_URNS.processSized:
      case SDF_URNS.truncateSized:
        return this.sdfOperator(id, t);
      case "beam:transform:pardo:v1": {
        const { p, payload } = this.beamlineDoFn(t);
        const transform = this.runtime.graph.transforms[payload.transform];
        if (payload.role === "pardo" && transform && isStatefulParDo(transform)) {
          return this.statefulOperator(id, t, payload, p);
        }
        return this.beamlineOperator(id, t, payload, Object.keys(p.sideInputs ?? {}));
      }
      default:
        throw new RunnerProtocolError({
          code: "BL_UNKNOWN_TRANSFORM",
          where: `transform "${t.uniqueName}"`,
          value: t.spec.urn,
          rule: "Beamline's harness runs Beamline's DoFns (its source reads as splittable DoFns), combine phases, window assignment, flatten and Beam's primitives it sends data through, not this transform",
          fix: "run this transform in an environment of the SDK that defines it, or leave it to the runner",
        });
    }
  }

  /** The ParDoPayload of a transform running a Beamline DoFn, and the DoFn's own payload (its fingerprint checked). */
  private beamlineDoFn(t: TransformProto): { p: any; payload: BeamlineDoFnPayload } {
    const p = this.protos.decode("pipeline.ParDoPayload", t.spec.payload ?? Buffer.alloc(0));
    if (p.doFn.urn !== BEAMLINE_DOFN_URN) throw foreignFunction(t.uniqueName, "DoFn", p.doFn.urn);
    const payload = JSON.parse(Buffer.from(p.doFn.payload).toString("utf8")) as BeamlineDoFnPayload;
    checkFingerprint({ where: `transform "${t.uniqueName}"`, rebuilt: this.runtime.fingerprint, submitted: payload.fingerprint });
    return { p, payload };
  }

  /** A step of a source read the runner expanded as a splittable DoFn. */
  private sdfOperator(id: string, t: TransformProto): Operator {
    const { p, payload } = this.beamlineDoFn(t);
    if (payload.role !== "readPart") {
      throw new RunnerProtocolError({
        code: "BL_NOT_SPLITTABLE",
        where: `transform "${t.uniqueName}"`,
        value: payload.role,
        rule: "Beamline's splittable DoFns are its source reads (role readPart)",
        fix: "see the runner's log: it expanded a DoFn that names no restriction coder",
      });
    }
    const step = { transform: payload.transform, source: this.runtime.fn<BoundedSource>(payload.transform), outputs: t.outputs, emit: (pc: string, b: Elements) => this.emit(pc, b) };
    switch (t.spec.urn) {
      case SDF_URNS.pairWithRestriction:
        return pairWithRestriction(step);
      case SDF_URNS.splitAndSize:
        return splitAndSize(step);
      case SDF_URNS.truncateSized:
        return truncateSized();
      default: {
        const inputId = Object.keys(t.inputs).find((tag) => !(tag in (p.sideInputs ?? {})))!;
        const inputCoder = this.windowedCoderOf(t.inputs[inputId]);
        return processSized({
          ...step,
          transformId: id,
          inputId,
          inputCoder,
          residual: (root) => this.residuals.push(root),
          reached: (part, position) => this.progress.reached(step.source, { part, position }),
        });
      }
    }
  }

  /** The windowed value coder elements of PCollection `pc` travel with: its data source's, else its coder in its windows. */
  private windowedCoderOf(pc: string): Coder<WindowedValue> {
    for (const t of Object.values(this.transforms)) {
      if (t.spec.urn !== "beam:runner:source:v1" || !Object.values(t.outputs).includes(pc)) continue;
      return this.coder(this.protos.decode("fn.RemoteGrpcPort", t.spec.payload ?? Buffer.alloc(0)).coderId) as Coder<WindowedValue>;
    }
    const proto = this.descriptor.pcollections[pc];
    const id = `beamline:windowed:${pc}`;
    this.descriptor.coders[id] ??= { spec: { urn: CODER_URNS.windowedValue }, componentCoderIds: [proto.coderId, this.descriptor.windowingStrategies[proto.windowingStrategyId].windowCoderId] };
    return this.coder(id) as Coder<WindowedValue>;
  }

  private async beamlineOperator(id: string, t: TransformProto, payload: BeamlineDoFnPayload, sideTags: string[]): Promise<Operator> {
    const graph = this.runtime.graph;
    const gt = graph.transforms[payload.transform];
    const outPc = (tag: string) => t.outputs[tag];
    switch (payload.role) {
      case "identity":
        return { process: (_pc, b) => this.emit(outPc("main"), b) };
      case "splitRead": {
        const source = this.runtime.fn<BoundedSource>(payload.transform);
        return {
          process: async (_pc, b) => {
            const impulse = toRowBatch(b);
            let parts: JsonValue[];
            try {
              parts = await source.split(payload.parts ?? 1);
            } catch (e) {
              throw wrapUserError(e, payload.transform);
            }
            const rows = parts.map((p) => Buffer.from(JSON.stringify(p)));
            await this.emit(outPc("main"), { rows, timestamps: new Float64Array(rows.length).fill(impulse.timestamps[0]), windows: GLOBAL_WINDOWS });
          },
        };
      }
      case "readPart": {
        const source = this.runtime.fn<BoundedSource>(payload.transform);
        return {
          process: async (_pc, b) => {
            try {
              for (const bytes of toRowBatch(b).rows as Uint8Array[]) {
                const part = JSON.parse(Buffer.from(bytes).toString("utf8")) as JsonValue;
                for await (const chunk of source.read(part, null)) if (chunk.batch) await this.emit(outPc(chunk.tag ?? "main"), chunk.batch);
              }
            } catch (e) {
              throw wrapUserError(e, payload.transform);
            }
          },
        };
      }
      case "writeKey": {
        const sink = this.runtime.fn<Sink>(payload.transform);
        const count = sink.numShards ?? 1;
        let next = Math.floor(Math.random() * count);
        return {
          process: (_pc, b) => {
            const rb = toRowBatch(b);
            const shard = next;
            next = (next + 1) % count;
            // A batch is never split across shards, as on the direct runner.
            return this.emit(outPc("main"), { ...rb, rows: rb.rows.map((row, i) => ({ key: shard, value: { key: row, value: elementMetadata(rb, i) } })) });
          },
        };
      }
      case "writeShard": {
        const sink = this.runtime.fn<Sink>(payload.transform);
        const count = sink.numShards ?? 1;
        const schema = this.schemaOf(gt.inputs.main);
        return {
          process: async (_pc, b) => {
            const rb = toRowBatch(b);
            const staged: unknown[] = [];
            for (const g of rb.rows as { key: number; values: { key: unknown; value: ElementMetadata }[] }[]) {
              const w = await sink.createWriter({ index: Number(g.key), count });
              try {
                const rows = g.values.map((v) => v.key);
                const s = schema ?? inferSchema(rows, `input of transform "${payload.transform}"`);
                await w.write(withMetadata(rowsToRecordBatch(rows, s, `transform "${payload.transform}"`), g.values.map((v) => v.value)));
                staged.push(await w.prepareCommit(null));
              } catch (e) {
                await w.abort().catch(() => {});
                throw wrapUserError(e, payload.transform);
              }
            }
            // Each shard's committables travel as one list; the seed's is empty.
            await this.emit(outPc("main"), { ...globalRows(staged.map((value) => ({ key: 0, value }))) });
          },
        };
      }
      case "writeBundle": {
        // A sink that publishes what it prepares (at-least-once): one writer per operator, flushed at the
        // end of every bundle, so the runner gets a bundle's response only once its records are acknowledged.
        const sink = this.runtime.fn<Sink>(payload.transform);
        const count = sink.numShards ?? 1;
        const schema = this.schemaOf(gt.inputs.main);
        let writer: SinkWriter | null = null;
        let wrote = false;
        /** Drops the writer after a failure (a retried bundle starts a new one) and rethrows it as the transform's. */
        const fail = async (e: unknown): Promise<never> => {
          const failed = writer;
          writer = null;
          wrote = false;
          await failed?.abort().catch(() => {});
          throw wrapUserError(e, payload.transform);
        };
        return {
          process: async (_pc, b) => {
            const batch = toElementBatch(b, schema, `input of transform "${payload.transform}"`);
            try {
              writer ??= await sink.createWriter({ index: Math.floor(Math.random() * count), count, transform: payload.transform });
              await writer.write(batch);
              wrote = true;
            } catch (e) {
              await fail(e);
            }
          },
          finish: async () => {
            if (!writer || !wrote) return;
            wrote = false;
            try {
              await sink.committer.commit(await writer.prepareCommit(null));
            } catch (e) {
              await fail(e);
            }
          },
        };
      }
      case "writeNumber": {
        const input = this.descriptor.pcollections[t.inputs.main];
        let kv = this.descriptor.coders[input.coderId];
        while (kv.spec.urn === CODER_URNS.lengthPrefix) kv = this.descriptor.coders[kv.componentCoderIds[0]];
        const keyCoder = this.coder(kv.componentCoderIds[0]);
        const window = encodeOne(this.coder(this.descriptor.windowingStrategies[input.windowingStrategyId].windowCoderId), GLOBAL_WINDOW);
        const stateUrl = this.descriptor.stateApiServiceDescriptor?.url;
        const state = new UserStateCache(id, { [SEQUENCE_STATE]: { kind: "value" } }, {
          channel: () => {
            if (!stateUrl) throw missingEndpoint(t.uniqueName, "state", [SEQUENCE_STATE]);
            return this.channels.state(stateUrl);
          },
          instructionId: () => this.instruction,
          cache: () => this.bagCache,
        });
        return {
          process: async (_pc, b) => {
            const rb = toRowBatch(b);
            const rows = rb.rows as { key: number; value: unknown }[];
            for (const shard of new Set(rows.map((r) => Number(r.key)))) {
              const w = new ByteWriter();
              keyCoder.encode(shard, w, true);
              await state.load(`${shard}`, window, w.finish());
            }
            const numbered: { key: number; value: { key: unknown; value: number } }[] = [];
            for (const r of rows) {
              const shard = Number(r.key);
              const next = state.cells(`${shard}`)[SEQUENCE_STATE] as ValueState<number>;
              const n = next.read() ?? 0;
              next.write(n + 1);
              numbered.push({ key: shard, value: { key: r.value, value: n } });
            }
            return this.emit(outPc("main"), { ...rb, rows: numbered });
          },
          finish: () => state.flush(),
        };
      }
      case "writeSequenced": {
        const sink = this.runtime.fn<Sink>(payload.transform);
        const schema = this.schemaOf(gt.inputs.main);
        // One writer per shard for the operator's life: it claims the shard's transactional id once.
        let writers = this.sequencedWriters.get(id);
        if (!writers) this.sequencedWriters.set(id, (writers = new Map()));
        const writerOf = (shard: number): SequencedWriter => {
          let w = writers!.get(shard);
          if (!w) writers!.set(shard, (w = sink.sequencedWriter!(shard)));
          return w;
        };
        /** Writes `values`, numbered from `first` on, through shard `shard`'s writer. */
        const write = async (shard: number, first: number, values: { key: unknown; value: ElementMetadata }[]) => {
          try {
            const rows = values.map((v) => v.key);
            const s = schema ?? inferSchema(rows, `input of transform "${payload.transform}"`);
            await writerOf(shard).write(withMetadata(rowsToRecordBatch(rows, s, `transform "${payload.transform}"`), values.map((v) => v.value)), first);
          } catch (e) {
            throw wrapUserError(e, payload.transform);
          }
        };
        // Reads no state (see STABLE_WRITER_STATE): the rows carry their numbers.
        return {
          process: async (_pc, b) => {
            const rb = toRowBatch(b);
            // Each shard's rows in arrival order (the order the runner replays them in), as runs of consecutive numbers.
            const runs = new Map<number, { first: number; values: { key: unknown; value: ElementMetadata }[] }[]>();
            for (const r of rb.rows as { key: number; value: { key: { key: unknown; value: ElementMetadata }; value: number } }[]) {
              const shard = Number(r.key);
              let l = runs.get(shard);
              if (!l) runs.set(shard, (l = []));
              const last = l[l.length - 1];
              if (last && last.first + last.values.length === r.value.value) last.values.push(r.value.key);
              else l.push({ first: r.value.value, values: [r.value.key] });
            }
            for (const [shard, l] of runs) for (const run of l) await write(shard, run.first, run.values);
          },
        };
      }
      case "writeSeed":
        return { process: () => this.emit(outPc("main"), globalRows([{ key: 0, value: [] }])) };
      case "parseMessages": {
        const source = this.runtime.fn<MessageParser>(payload.transform);
        return {
          process: async (_pc, b) => {
            const rb = toRowBatch(b);
            let parsed: { tag: string; batch: ElementBatch }[];
            try {
              parsed = source.parseDelivered(rb.rows as Uint8Array[], rb.timestamps);
            } catch (e) {
              throw wrapUserError(e, payload.transform);
            }
            for (const p of parsed) await this.emit(outPc(p.tag), p.batch);
          },
        };
      }
      case "encodeMessages": {
        const sink = this.runtime.fn<MessageEncoder>(payload.transform);
        const schema = this.schemaOf(gt.inputs.main);
        return {
          process: (_pc, b) => {
            const batch = toElementBatch(b, schema, `input of transform "${payload.transform}"`);
            let rows: Uint8Array[];
            try {
              rows = sink.encodeMessages(batch);
            } catch (e) {
              throw wrapUserError(e, payload.transform);
            }
            return this.emit(outPc("main"), { rows, timestamps: batch.timestamps, windows: batch.windows, ...(batch.panes ? { panes: batch.panes } : {}) });
          },
        };
      }
      case "commit": {
        const sink = this.runtime.fn<Sink>(payload.transform);
        return {
          process: async (_pc, b) => {
            const rb = toRowBatch(b);
            const staged = (rb.rows as { values: unknown[][] }[]).flatMap((g) => g.values.flat());
            // No shard wrote (no row came): prepare every shard's empty writer, as the direct runner
            // does, so the sink commits what it holds for an empty input (an assertion is checked).
            if (staged.length === 0) {
              const count = sink.numShards ?? 1;
              for (let index = 0; index < count; index++) staged.push(...(await (await sink.createWriter({ index, count })).prepareCommit(null)));
            }
            const files = await sink.committer.commit(staged as any);
            await this.emit(outPc("main"), globalRows(files.map((file) => ({ file }))));
          },
        };
      }
      case "pardo": {
        const outputSchemas: Record<string, arrow.Schema | null> = {};
        for (const [tag, pc] of Object.entries(gt.outputs)) outputSchemas[tag] = this.schemaOf(pc);
        let invoker = this.setups.get(id);
        if (!invoker) {
          // Retries and dead letters are reported as counters of the transform, as on the direct runner.
          const count = (counter: string, n: number) => this.metricsOf(payload.transform).addCounter(DEFAULT_METRICS_NAMESPACE, counter, n);
          invoker = new ParDoInvoker(payload.transform, this.runtime.fn<ParDoFn>(payload.transform), outputSchemas, undefined, undefined, count);
          await invoker.setup();
          this.setups.set(id, invoker);
        }
        const inv = invoker;
        const inputSchema = this.schemaOf(gt.inputs.main);
        const sides = sideTags.map((tag) => {
          const pc = t.inputs[tag];
          const gpc = graph.pcollections[gt.inputs[tag]];
          return { tag, name: tag.slice(5), pc, windowFn: graph.windowingStrategies[gpc.windowing].windowFn, schema: gpc ? graphSchema(gpc) : null, fetched: new Map<string, RowBatch>() };
        });
        const mainPc = t.inputs.main;
        const emit = (tag: string, out: Elements) => {
          const r = this.emit(outPc(tag), out);
          if (r) pending.push(r);
        };
        let pending: (Promise<void> | void)[] = [];
        return {
          process: async (pc, b) => {
            if (pc !== mainPc) return;
            const batch = toElementBatch(b, inputSchema, `input of transform "${payload.transform}"`);
            for (const s of sides) await this.loadSide(id, s, batch);
            pending = [];
            withMetricsContainer(this.metricsOf(payload.transform), () => inv.processBatch(batch, emit));
            for (const p of pending) await p;
          },
          // The harness cannot tell the end of a ParDo's input: the end of a bundle stands for it, and
          // the dead-letter guard checks its ratio over everything this harness processed so far.
          finish: () => inv.finish(),
        };
      }
    }
  }

  /** The operator of a stateful DoFn: state through the state channel, timers through the timer data channel. */
  private async statefulOperator(id: string, t: TransformProto, payload: BeamlineDoFnPayload, p: any): Promise<Operator> {
    const fn = this.runtime.fn<ParDoFn>(payload.transform);
    if (fn.kind !== "dofn") throw new InvariantError({ code: "BL_STATEFUL_NOT_DOFN", where: `transform "${payload.transform}"`, value: fn.kind, rule: "a stateful ParDo runs a DoFn" });
    if (!this.setups.has(id)) {
      const inv = new ParDoInvoker(payload.transform, fn, {});
      await inv.setup();
      this.setups.set(id, inv);
    }
    const input = this.descriptor.pcollections[t.inputs.main];
    const ws = this.descriptor.windowingStrategies[input.windowingStrategyId];
    let kv = this.descriptor.coders[input.coderId];
    while (kv.spec.urn === CODER_URNS.lengthPrefix) kv = this.descriptor.coders[kv.componentCoderIds[0]];
    const timerCoders: Record<string, Coder<TimerValue>> = {};
    for (const [family, spec] of Object.entries((p.timerFamilySpecs ?? {}) as Record<string, { timerFamilyCoderId: string }>)) timerCoders[family] = this.coder(spec.timerFamilyCoderId);
    const timerUrl = this.descriptor.timerApiServiceDescriptor?.url;
    const timerChannel = timerUrl ? this.channels.data(timerUrl) : null;
    if (Object.keys(timerCoders).length > 0 && !timerChannel) throw missingEndpoint(t.uniqueName, "timer", Object.keys(timerCoders));
    const stateUrl = this.descriptor.stateApiServiceDescriptor?.url;
    const op = new StatefulOperator({
      name: payload.transform,
      transformId: id,
      dofn: fn.dofn as unknown as StatefulDoFn,
      keyCoder: this.coder(kv.componentCoderIds[0]),
      windowCoder: this.coder(ws.windowCoderId),
      timerCoders,
      allowedLateness: Number(ws.allowedLateness ?? 0),
      state: {
        channel: () => {
          if (!stateUrl) throw missingEndpoint(t.uniqueName, "state", Object.keys(p.stateSpecs ?? {}));
          return this.channels.state(stateUrl);
        },
        instructionId: () => this.instruction,
        cache: () => this.bagCache,
      },
      timerChannel,
      outputs: t.outputs,
      emit: (pc, b) => this.emit(pc, b),
      call: (f) => withMetricsContainer(this.metricsOf(payload.transform), f),
    });
    return {
      start: () => op.start(),
      process: (pc, b) => (pc === t.inputs.main ? op.process(b) : undefined),
      finish: () => op.finish(),
      ...(timerChannel && op.timerFamilies.length > 0 ? { timers: { channel: timerChannel, families: op.timerFamilies, fire: (family: string, data: Buffer) => op.fire(family, data) } } : {}),
    };
  }

  /** Fetches the side input windows a batch needs through the state API and hands them to the invoker. */
  private async loadSide(
    transformId: string,
    s: { tag: string; name: string; pc: string; windowFn: WindowFnSpec; schema: arrow.Schema | null; fetched: Map<string, RowBatch> },
    batch: import("../../../sdk/batch").ElementBatch,
  ): Promise<void> {
    const inv = this.setups.get(transformId)!;
    const needed = new Map<string, Window>();
    const n = batch.data.numRows;
    for (let i = 0; i < n; i++) {
      const main: Window = batch.windows.kind === "global" ? GLOBAL_WINDOW : { start: batch.windows.start[i], end: batch.windows.end[i], global: false };
      const w = sideInputWindow(s.windowFn, main);
      needed.set(w.global ? "g" : `${w.start}:${w.end}`, w);
    }
    let changed = false;
    const pcProto = this.descriptor.pcollections[s.pc];
    const ws = this.descriptor.windowingStrategies[pcProto.windowingStrategyId];
    const windowCoder = this.coder(ws.windowCoderId);
    const elementCoder = this.coder(pcProto.coderId);
    for (const [key, w] of needed) {
      if (s.fetched.has(key)) continue;
      const stateKey = {
        iterableSideInput: { transformId, sideInputId: s.tag, window: encodeOne(windowCoder, w) },
      };
      const bytes = await this.channels.state(this.descriptor.stateApiServiceDescriptor.url).readAll(this.instruction, stateKey);
      const rows: unknown[] = [];
      const r = new ByteReader(bytes);
      while (!r.done) rows.push(elementCoder.decode(r, true));
      const windows = w.global
        ? ({ kind: "global" } as const)
        : ({ kind: "interval", start: new Float64Array(rows.length).fill(w.start), end: new Float64Array(rows.length).fill(w.end) } as const);
      s.fetched.set(key, { rows, timestamps: new Float64Array(rows.length), windows });
      changed = true;
    }
    if (!changed && s.fetched.size > 0) return;
    const batches = [...s.fetched.values()]
      .filter((rb) => rb.rows.length > 0)
      .map((rb) => toElementBatch(rb, s.schema, `side input "${s.name}"`));
    inv.setSideInput(s.name, { windowFn: s.windowFn, batches });
  }
}

/** An element's timestamp, window (start and end, NaN for the global window) and pane (flags, index, non-speculative index), as a sink write carries it through the shuffle. */
type ElementMetadata = [number, number, number, number, number, number];

function elementMetadata(rb: RowBatch, i: number): ElementMetadata {
  const w = rb.windows;
  const [start, end] = w.kind === "global" ? [NaN, NaN] : [w.start[i], w.end[i]];
  const p = rb.panes;
  if (!p) return [rb.timestamps[i], start, end, NO_PANE_FLAGS, 0, 0];
  const pane = paneAt(p, i);
  return [rb.timestamps[i], start, end, p.flags[i], pane.index, pane.nonSpeculativeIndex];
}

/** The flags of {@link NO_FIRING}: unknown timing, first and last. */
const NO_PANE_FLAGS = paneFlags(PaneTiming.Unknown, true, true);

/** A shard's rows with the timestamps, windows and panes they had before the shuffle. */
function withMetadata(data: arrow.RecordBatch, meta: readonly ElementMetadata[]): ElementBatch {
  const n = meta.length;
  const timestamps = new Float64Array(n);
  const start = new Float64Array(n);
  const end = new Float64Array(n);
  const flags = new Uint8Array(n);
  const index = new Int32Array(n);
  const nonSpeculative = new Int32Array(n);
  let global = true;
  for (let i = 0; i < n; i++) {
    const m = meta[i];
    timestamps[i] = m[0];
    start[i] = m[1];
    end[i] = m[2];
    if (!Number.isNaN(m[1])) global = false;
    flags[i] = m[3];
    index[i] = m[4];
    nonSpeculative[i] = m[5];
  }
  return { data, timestamps, windows: global ? GLOBAL_WINDOWS : { kind: "interval", start, end }, panes: { flags, index, nonSpeculative } };
}

function globalRows(rows: unknown[]): RowBatch {
  return { rows, timestamps: new Float64Array(rows.length).fill(MIN_TIMESTAMP), windows: { kind: "global" } };
}

function sliceRows(rb: RowBatch, n: number): RowBatch {
  const windows = rb.windows.kind === "global" ? rb.windows : { kind: "interval" as const, start: rb.windows.start.subarray(0, n), end: rb.windows.end.subarray(0, n) };
  const out: RowBatch = { rows: rb.rows.slice(0, n), timestamps: rb.timestamps.subarray(0, n), windows };
  if (!rb.panes) return out;
  const { flags, index, nonSpeculative } = rb.panes;
  return { ...out, panes: { flags: flags.subarray(0, n), index: index.subarray(0, n), ...(nonSpeculative ? { nonSpeculative: nonSpeculative.subarray(0, n) } : {}) } };
}

/** Assigns windows to a batch's elements. */
function assign(fn: WindowFnSpec, b: Elements): Elements {
  const a = assignWindows(fn, b.timestamps);
  const rb = toRowBatch(b);
  if (!a) return { rows: rb.rows, timestamps: rb.timestamps, windows: { kind: "global" } };
  const rows = Array.from(a.source, (i) => rb.rows[i]);
  const timestamps = Float64Array.from(a.source, (i) => rb.timestamps[i]);
  return { rows, timestamps, windows: { kind: "interval", start: a.start, end: a.end } };
}

/** Beam's standard window functions as Beamline window specs. */
export function windowFnFromProto(protos: Protos, fn: { urn: string; payload?: Buffer }): WindowFnSpec {
  const ms = (d: { seconds?: number; nanos?: number } | undefined) => (d ? Number(d.seconds ?? 0) * 1000 + Math.round(Number(d.nanos ?? 0) / 1e6) : 0);
  const payload = fn.payload ?? Buffer.alloc(0);
  switch (fn.urn) {
    case "beam:window_fn:global_windows:v1":
      return { kind: "global" };
    case "beam:window_fn:fixed_windows:v1": {
      const p = protos.decode("pipeline.FixedWindowsPayload", payload);
      return { kind: "fixed", size: ms(p.size), offset: ms(p.offset) };
    }
    case "beam:window_fn:sliding_windows:v1": {
      const p = protos.decode("pipeline.SlidingWindowsPayload", payload);
      return { kind: "sliding", size: ms(p.size), period: ms(p.period), offset: ms(p.offset) };
    }
    case "beam:window_fn:session_windows:v1": {
      const p = protos.decode("pipeline.SessionWindowsPayload", payload);
      return { kind: "sessions", gap: ms(p.gapSize) };
    }
    default:
      throw new RunnerProtocolError({
        code: "BL_UNKNOWN_WINDOW_FN",
        value: fn.urn,
        rule: "Beamline's harness assigns Beam's standard window functions: global, fixed, sliding and session windows",
        fix: "window with one of those, or run the assignment in an environment of the SDK that defines this one",
      });
  }
}

/** Transform ids ordered so that producers come before consumers. */
function topologicalOrder(transforms: Record<string, TransformProto>): string[] {
  const producer = new Map<string, string>();
  for (const [id, t] of Object.entries(transforms)) for (const pc of Object.values(t.outputs ?? {})) producer.set(pc, id);
  const out: string[] = [];
  const state = new Map<string, number>();
  const visit = (id: string) => {
    if (state.get(id) === 2) return;
    if (state.get(id) === 1) throw new RunnerProtocolError({ code: "BL_DESCRIPTOR_CYCLE", value: id, rule: "a process bundle descriptor's transforms must form an acyclic graph", fix: "see the runner's log: it sent a descriptor whose transforms feed each other" });
    state.set(id, 1);
    for (const pc of Object.values(transforms[id].inputs ?? {})) {
      const p = producer.get(pc);
      if (p) visit(p);
    }
    state.set(id, 2);
    out.push(id);
  };
  for (const id of Object.keys(transforms)) visit(id);
  return out;
}

/** The error of a descriptor that leaves out the endpoint a stateful transform's timers or state need. */
function missingEndpoint(transform: string, kind: "timer" | "state", names: string[]): RunnerProtocolError {
  return new RunnerProtocolError({
    code: kind === "timer" ? "BL_NO_TIMER_ENDPOINT" : "BL_NO_STATE_ENDPOINT",
    where: `transform "${transform}"`,
    value: names,
    rule: `a process bundle descriptor with ${kind === "timer" ? "timer families" : "user state"} must name the runner's ${kind} endpoint`,
    fix: "use a runner that serves state and timers to SDK harnesses (Prism or Beam's Flink runner in streaming mode)",
  });
}
