/**
 * A stateful DoFn as both runners run it: the contexts `process`, `onTimer` and `onWindowExpiration`
 * see (key, window, state, timers, processing time, outputs), with every rule once: timers are
 * checked when set, `onTimer` may not output before its timer's output timestamp, outputs go only to
 * declared tags, side inputs are refused, and each user call's failure names the transform. The
 * runner supplies the storage (state cells and timers of a key and window), the transport (it drains
 * the outputs) and the processing-time clock.
 */
import type { PaneInfo } from "../../../sdk/batch";
import type { FinishBundleContext, OutputOptions } from "../../../sdk/dofn";
import { UserCodeError, wrapUserError } from "../../../sdk/errors";
import type { StateSpecs, Timer, TimerSpecs } from "../../../sdk/state";
import { formatTimestamp, MIN_TIMESTAMP } from "../../../sdk/time";
import { GLOBAL_WINDOW, windowMaxTimestamp, type Window } from "../../../sdk/window";
import { StatefulOutputs, type PaneBits } from "./outputs";
import { timerHandle, type TimerSetting, type TimerSink } from "./timers";

/** The loose shape of a stateful DoFn as the runtime calls it. */
export interface StatefulDoFn {
  readonly state?: StateSpecs;
  readonly timers?: TimerSpecs;
  startBundle?(): void;
  process(row: unknown, ctx: never): void;
  onTimer?(name: string, ctx: never): void;
  onWindowExpiration?(ctx: never): void;
  finishBundle?(ctx: FinishBundleContext): void;
}

/** One key in one window, as the runner keeps it: its key, window, state cells and timer storage. */
export interface KeyScope {
  readonly key: unknown;
  readonly window: Window;
  /** The handles of the declared state cells (see runners/runtime/state). */
  readonly state: Record<string, unknown>;
  readonly timers: TimerSink;
}

/** What the runner gives the runtime of one stateful transform. */
export interface StatefulHost {
  /** The transform's name, for errors. */
  readonly transform: string;
  readonly dofn: StatefulDoFn;
  /** The input's allowed lateness (ms). */
  readonly allowedLateness: number;
  /** The declared output tags. */
  readonly outputTags: readonly string[];
  /** The runner's processing-time clock (ms). */
  processingTime(): number;
  /** Runs user code (in the runner's metrics scope, say); calls it directly when absent. */
  call?<T>(f: () => T): T;
}

/** A firing timer. */
export type FiringTimer = Omit<TimerSetting, "domain">;

/** The runtime of one stateful DoFn instance. */
export class StatefulDoFnRunner {
  /** What the DoFn emitted, until the runner drains it. */
  readonly outputs: StatefulOutputs;
  private readonly where: string;
  /** The timestamp of the element or timer being processed (the default output timestamp of processing-time timers). */
  private contextTs = MIN_TIMESTAMP;
  private readonly timerHandles = new WeakMap<KeyScope, Record<string, Timer>>();
  private readonly timerNames: string[];
  private readonly clock = { contextTimestamp: () => this.contextTs, processingTime: () => this.host.processingTime() };

  constructor(private readonly host: StatefulHost) {
    this.where = `transform "${host.transform}"`;
    this.outputs = new StatefulOutputs(host.outputTags, this.where);
    this.timerNames = Object.keys(host.dofn.timers ?? {});
  }

  /** Calls `startBundle`. */
  startBundle(): void {
    const dofn = this.host.dofn;
    if (dofn.startBundle) this.user(() => dofn.startBundle!());
  }

  /** Calls `process` for one row of `scope` at `timestamp`, in `pane` (`paneBits`: the pane as its output rows carry it). */
  process(row: unknown, timestamp: number, scope: KeyScope, pane?: PaneInfo, paneBits?: PaneBits): void {
    this.contextTs = timestamp;
    const ctx = {
      timestamp,
      window: scope.window,
      pane,
      key: scope.key,
      state: scope.state,
      timers: this.timers(scope),
      processingTime: this.clock.processingTime,
      output: (r: unknown, options?: OutputOptions) => this.outputs.add(options?.tag, r, options?.timestamp ?? timestamp, scope.window, paneBits),
      sideInput: (sideName: string): never => {
        throw new UserCodeError({ code: "BL_UNKNOWN_SIDE_INPUT", where: this.where, value: sideName, rule: "a DoFn with state or timers cannot read side inputs yet", fix: "join the side data into the keyed input first" });
      },
    };
    this.user(() => this.host.dofn.process(row, ctx as never), row);
  }

  /** Calls `onTimer` for a timer of `scope` that fired. */
  fireTimer(timer: FiringTimer, scope: KeyScope): void {
    const { name, at, outputTimestamp } = timer;
    this.contextTs = outputTimestamp;
    const ctx = {
      key: scope.key,
      window: scope.window,
      timestamp: at,
      outputTimestamp,
      timeDomain: this.host.dofn.timers?.[name]?.domain ?? "event",
      state: scope.state,
      timers: this.timers(scope),
      processingTime: this.clock.processingTime,
      output: (row: unknown, options?: OutputOptions) => {
        const ts = options?.timestamp ?? outputTimestamp;
        if (ts < outputTimestamp) {
          throw new UserCodeError({
            code: "BL_OUTPUT_BEFORE_TIMER",
            where: `${this.where}, timer "${name}"`,
            value: formatTimestamp(ts),
            rule: `onTimer may not output earlier than the timer's output timestamp (${formatTimestamp(outputTimestamp)}): the watermark was held only that far`,
            fix: "output at or after ctx.outputTimestamp, or set the timer with an earlier outputTimestamp",
          });
        }
        this.outputs.add(options?.tag, row, ts, scope.window);
      },
    };
    this.user(() => this.host.dofn.onTimer!(name, ctx as never), { timer: name, key: scope.key, at });
  }

  /** Whether the DoFn has an `onWindowExpiration`. */
  get expires(): boolean {
    return !!this.host.dofn.onWindowExpiration;
  }

  /** Calls `onWindowExpiration` for `scope`, whose window expired; outputs default to the window's end. */
  expireWindow(scope: KeyScope): void {
    const onExpiry = this.host.dofn.onWindowExpiration;
    if (!onExpiry) return;
    const ts = windowMaxTimestamp(scope.window);
    this.contextTs = ts;
    const ctx = {
      key: scope.key,
      window: scope.window,
      state: scope.state,
      output: (row: unknown, options?: OutputOptions) => this.outputs.add(options?.tag, row, options?.timestamp ?? ts, scope.window),
    };
    this.user(() => onExpiry.call(this.host.dofn, ctx as never), { key: scope.key, window: scope.window });
  }

  /** Calls `finishBundle`; its outputs default to the minimum timestamp in the global window. */
  finishBundle(): void {
    const dofn = this.host.dofn;
    if (!dofn.finishBundle) return;
    this.user(() =>
      dofn.finishBundle!({ output: (row, options) => this.outputs.add(options?.tag, row, options?.timestamp ?? MIN_TIMESTAMP, options?.window ?? GLOBAL_WINDOW) }),
    );
  }

  /** The timer handles of a key and window. */
  timers(scope: KeyScope): Record<string, Timer> {
    let h = this.timerHandles.get(scope);
    if (h) return h;
    h = {};
    const specs = this.host.dofn.timers ?? {};
    for (const name of this.timerNames) {
      h[name] = timerHandle({ where: this.where, name, domain: specs[name].domain, window: scope.window, allowedLateness: this.host.allowedLateness }, this.clock, scope.timers);
    }
    this.timerHandles.set(scope, h);
    return h;
  }

  private user<T>(f: () => T, value?: unknown): T {
    try {
      return this.host.call ? this.host.call(f) : f();
    } catch (e) {
      throw wrapUserError(e, this.host.transform, value);
    }
  }
}
