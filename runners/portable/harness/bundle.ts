/**
 * Executes process bundle descriptors: builds a small operator graph from a descriptor (data sources
 * and sinks on the data channel, Beamline DoFns, flatten and window assignment), then runs bundles
 * through it — element counts and progress as monitoring infos, channel splits on request.
 */
import type * as arrow from "apache-arrow";
import type { PipelineGraph } from "../../../sdk/graph";
import { ParDoInvoker } from "../../../sdk/invoker";
import type { ParDoFn } from "../../../sdk/pardo";
import { isStatefulParDo } from "../../../sdk/payload";
import { graphSchema } from "../../../sdk/pipeline";
import { MetricsCell, withMetricsContainer } from "../../../sdk/metrics";
import type { SequencedWriter } from "../../../sdk/sink";
import type { BoundedSource } from "../../../sdk/source";
import { assignWindows, WindowFnSpec } from "../../../sdk/window";
import { Coder, CoderProto, coderFromProto, CODER_URNS, encodeOne, TimerValue, WindowedValue } from "../coders/coders";
import type { Protos } from "../model/protos";
import { BEAMLINE_DOFN_URN, BeamlineDoFnPayload, COMBINE_URNS } from "../model/payloads";
import { combinePhaseOf } from "./combine-phases";
import { foreignFunction } from "./payload-checks";
import { checkFingerprint } from "../../runtime/fingerprint";
import { InvariantError, RunnerProtocolError } from "../model/errors";
import { ByteWriter } from "../coders/wire";
import { timerStreamId, type DataChannel, type DataWriter, type StateChannel } from "./channels";
import { decodeElements, Elements, encodeElements, RowBatch, sizeOf, toRowBatch } from "./elements/elements";
import { userMetricInfos } from "./metrics";
import { processSized, SDF_URNS, pairWithRestriction, splitAndSize, truncateSized, type SdfCheckpoint } from "./sdf";
import { BagCache, CrossBundleStateCache, UserStateCache, type StateAccess } from "./state";
import { BundleProgress } from "./finalization";
import { StatefulDoFn, StatefulOperator } from "./stateful";
import { writeBundle } from "./roles/bundle-writes";
import { identity } from "./roles/identity";
import { encodeMessages, parseMessages } from "./roles/messages";
import { pardo } from "./roles/pardo";
import { readPart, splitRead } from "./roles/reads";
import type { RoleContext, RoleOperator, RoleStep } from "./roles/role-context";
import { writeNumber, writeSequenced } from "./roles/sequenced-writes";
import { writeKey } from "./roles/shard-keys";
import { commit, writeSeed, writeShard } from "./roles/staged-writes";

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

interface Operator extends RoleOperator {
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
  /** What the operators of Beamline DoFns' roles use of this processor. */
  private readonly roles: RoleContext;

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
    this.roles = {
      graph: runtime.graph,
      fn: <T>(transform: string) => this.runtime.fn<T>(transform),
      descriptor,
      coder: (id) => this.coder(id),
      schemaOf: (pc) => this.schemaOf(pc),
      emit: (pc, b) => this.emit(pc, b),
      channels,
      instructionId: () => this.instruction,
      userState: (transformId, transform, specs) => new UserStateCache(transformId, specs, this.stateAccess(transform, Object.keys(specs))),
      metricsOf: (transform) => this.metricsOf(transform),
      setups: this.setups,
      sequencedWriters: this.sequencedWriters,
    };
  }

  /** How transform `transform` reaches the runner's state: the descriptor's state endpoint (an error naming its state `names` without one). */
  private stateAccess(transform: string, names: string[]): StateAccess {
    const stateUrl = this.descriptor.stateApiServiceDescriptor?.url;
    return {
      channel: () => {
        if (!stateUrl) throw missingEndpoint(transform, "state", names);
        return this.channels.state(stateUrl);
      },
      instructionId: () => this.instruction,
      cache: () => this.bagCache,
    };
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

  /** The operator of a Beamline DoFn of `payload.role` (see roles/). */
  private beamlineOperator(id: string, t: TransformProto, payload: BeamlineDoFnPayload, sideTags: string[]): Operator | Promise<Operator> {
    const step: RoleStep = { id, t, payload, sideTags };
    switch (payload.role) {
      case "identity":
        return identity(this.roles, step);
      case "splitRead":
        return splitRead(this.roles, step);
      case "readPart":
        return readPart(this.roles, step);
      case "writeKey":
        return writeKey(this.roles, step);
      case "writeShard":
        return writeShard(this.roles, step);
      case "writeBundle":
        return writeBundle(this.roles, step);
      case "writeNumber":
        return writeNumber(this.roles, step);
      case "writeSequenced":
        return writeSequenced(this.roles, step);
      case "writeSeed":
        return writeSeed(this.roles, step);
      case "parseMessages":
        return parseMessages(this.roles, step);
      case "encodeMessages":
        return encodeMessages(this.roles, step);
      case "commit":
        return commit(this.roles, step);
      case "pardo":
        return pardo(this.roles, step);
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
    const op = new StatefulOperator({
      name: payload.transform,
      transformId: id,
      dofn: fn.dofn as unknown as StatefulDoFn,
      keyCoder: this.coder(kv.componentCoderIds[0]),
      windowCoder: this.coder(ws.windowCoderId),
      timerCoders,
      allowedLateness: Number(ws.allowedLateness ?? 0),
      state: this.stateAccess(t.uniqueName, Object.keys(p.stateSpecs ?? {})),
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
