/**
 * A stateful DoFn in the SDK harness. Its input arrives as KV elements (the runner partitions it by
 * key); its state cells live in the runner, read and written through the state channel (see
 * ./state.ts); its timers arrive as firings on the timer data channel, one stream per timer family,
 * and what it sets or clears goes back on that channel when the bundle ends — the runner holds the
 * output watermark at each timer's output timestamp and delivers the timer when its time comes.
 */
import type { OutputOptions } from "../../../sdk/dofn";
import { UserCodeError, wrapUserError } from "../../../sdk/errors";
import type { StateSpecs, Timer, TimerSetOptions, TimerSpecs } from "../../../sdk/state";
import { durationMs, formatTimestamp, MAX_TIMESTAMP, MIN_TIMESTAMP } from "../../../sdk/time";
import { windowMaxTimestamp, type Window } from "../../../sdk/window";
import { paneAt, windowAt, GLOBAL_WINDOWS, type WindowColumn } from "../../../sdk/batch";
import { Coder, encodeOne, NO_FIRING_PANE, TimerValue } from "../coders/coders";
import { ByteReader, ByteWriter } from "../coders/wire";
import type { DataChannel } from "./channels";
import { Elements, RowBatch, toRowBatch } from "./elements";
import { StateAccess, UserStateCache } from "./state";
import { WINDOW_EXPIRATION_TIMER } from "../model/payloads";

/** The loose shape of a stateful DoFn as the harness calls it. */
export interface StatefulDoFn {
  readonly state?: StateSpecs;
  readonly timers?: TimerSpecs;
  startBundle?(): void;
  process(row: unknown, ctx: unknown): void;
  onTimer?(name: string, ctx: unknown): void;
  onWindowExpiration?(ctx: unknown): void;
  finishBundle?(ctx: { output(row: unknown, options?: OutputOptions & { window?: Window }): void }): void;
}

/** What the operator needs from its bundle processor. */
export interface StatefulContext {
  /** The graph transform's name, for errors. */
  readonly name: string;
  /** The transform's id in the process bundle descriptor. */
  readonly transformId: string;
  readonly dofn: StatefulDoFn;
  /** The key coder of the input's KV coder (state and timer keys are its nested encoding). */
  readonly keyCoder: Coder;
  readonly windowCoder: Coder<Window>;
  /** The timer coder of each timer family. */
  readonly timerCoders: Record<string, Coder<TimerValue>>;
  /** The input's allowed lateness (ms): an event-time timer must fire before its window expires. */
  readonly allowedLateness: number;
  readonly state: StateAccess;
  /** The timer data channel. */
  readonly timerChannel: DataChannel | null;
  /** Output PCollection ids by tag. */
  readonly outputs: Record<string, string>;
  /** Sends a batch downstream. */
  emit(pc: string, b: RowBatch): Promise<void> | void;
  /** Calls user code (with the transform's metrics container in effect). */
  call<T>(f: () => T): T;
}

/** Per (key, window): the id of its cache entry, and its encodings. */
interface Scope {
  readonly id: string;
  readonly key: unknown;
  readonly keyBytes: Buffer;
  readonly window: Window;
  readonly windowBytes: Buffer;
}

/** A set or cleared timer, written back at the end of the bundle. */
interface PendingTimer {
  readonly family: string;
  readonly scope: Scope;
  readonly clear: boolean;
  readonly at: number;
  readonly hold: number;
}

/** Rows emitted to one tag, until flushed as a batch. */
class Collected {
  rows: unknown[] = [];
  ts: number[] = [];
  windows: Window[] = [];

  take(): RowBatch | null {
    const n = this.rows.length;
    if (n === 0) return null;
    const windows: WindowColumn = this.windows.some((w) => !w.global)
      ? { kind: "interval", start: Float64Array.from(this.windows, (w) => w.start), end: Float64Array.from(this.windows, (w) => w.end) }
      : GLOBAL_WINDOWS;
    const out: RowBatch = { rows: this.rows, timestamps: Float64Array.from(this.ts), windows };
    this.rows = [];
    this.ts = [];
    this.windows = [];
    return out;
  }
}

/** The operator of a stateful DoFn for one bundle processor (reused across its bundles). */
export class StatefulOperator {
  private state: UserStateCache;
  private pending = new Map<string, PendingTimer>();
  private readonly collected = new Map<string, Collected>();
  private readonly where: string;
  /** The timestamp of the element or timer being processed. */
  private contextTs = MIN_TIMESTAMP;

  constructor(private readonly ctx: StatefulContext) {
    this.where = `transform "${ctx.name}"`;
    this.state = new UserStateCache(ctx.transformId, ctx.dofn.state ?? {}, ctx.state);
    for (const tag of Object.keys(ctx.outputs)) this.collected.set(tag, new Collected());
  }

  /** The timer families whose firings the bundle must receive. */
  get timerFamilies(): string[] {
    return Object.keys(this.ctx.timerCoders);
  }

  /** Before a bundle's data. */
  start(): void {
    this.pending = new Map();
    const dofn = this.ctx.dofn;
    if (dofn.startBundle) this.user(() => dofn.startBundle!());
  }

  /** Input elements: loads each (key, window)'s state, then calls `process` row by row. */
  async process(b: Elements): Promise<void> {
    const rb = toRowBatch(b);
    const n = rb.rows.length;
    const scopes: Scope[] = new Array(n);
    for (let i = 0; i < n; i++) scopes[i] = this.scope((rb.rows[i] as { key: unknown }).key, windowAt(rb.windows, i));
    await Promise.all(scopes.map((s) => this.state.load(s.id, s.windowBytes, s.keyBytes)));
    const dofn = this.ctx.dofn;
    const expires = !!dofn.onWindowExpiration && WINDOW_EXPIRATION_TIMER in this.ctx.timerCoders;
    for (let i = 0; i < n; i++) {
      const s = scopes[i];
      if (expires) this.setExpiry(s);
      const row = rb.rows[i];
      const ts = rb.timestamps[i];
      this.contextTs = ts;
      const pctx = {
        timestamp: ts,
        window: s.window,
        pane: paneAt(rb.panes, i),
        key: s.key,
        state: this.state.cells(s.id),
        timers: this.timers(s),
        processingTime: () => Date.now(),
        output: (r: unknown, options?: OutputOptions) => this.collect(r, options?.tag, options?.timestamp ?? ts, s.window),
        sideInput: (sideName: string): never => {
          throw new UserCodeError({ code: "BL_UNKNOWN_SIDE_INPUT", where: this.where, value: sideName, rule: "a DoFn with state or timers cannot read side inputs yet", fix: "join the side data into the keyed input first" });
        },
      };
      this.user(() => dofn.process(row, pctx), row);
    }
    await this.flushOutputs();
  }

  /** Timer firings of one family, as the timer coder encodes them. */
  async fire(family: string, data: Buffer): Promise<void> {
    const coder = this.ctx.timerCoders[family];
    const r = new ByteReader(data);
    const firings: { t: TimerValue; scope: Scope }[] = [];
    while (!r.done) {
      const t = coder.decode(r, true);
      if (t.clearBit) continue;
      for (const w of t.windows) firings.push({ t, scope: this.scope(t.userKey, w) });
    }
    await Promise.all(firings.map((f) => this.state.load(f.scope.id, f.scope.windowBytes, f.scope.keyBytes)));
    const dofn = this.ctx.dofn;
    for (const { t, scope } of firings) {
      const k = `${family}\u0000${scope.id}`;
      const reset = this.pending.get(k);
      // Set again or cleared in this bundle: the runner delivers the new setting later, or never.
      if (reset && (reset.clear || reset.at !== t.fireTimestamp)) continue;
      if (reset) this.pending.delete(k);
      const at = t.fireTimestamp!;
      const hold = t.holdTimestamp!;
      this.contextTs = hold;
      if (family === WINDOW_EXPIRATION_TIMER) {
        this.expire(scope, hold);
        continue;
      }
      const tctx = {
        key: scope.key,
        window: scope.window,
        timestamp: at,
        outputTimestamp: hold,
        timeDomain: this.domainOf(family),
        state: this.state.cells(scope.id),
        timers: this.timers(scope),
        processingTime: () => Date.now(),
        output: (row: unknown, options?: OutputOptions) => {
          const ts = options?.timestamp ?? hold;
          if (ts < hold) {
            throw new UserCodeError({
              code: "BL_OUTPUT_BEFORE_TIMER",
              where: `${this.where}, timer "${family}"`,
              value: formatTimestamp(ts),
              rule: `onTimer may not output earlier than the timer's output timestamp (${formatTimestamp(hold)}): the watermark was held only that far`,
              fix: "output at or after ctx.outputTimestamp, or set the timer with an earlier outputTimestamp",
            });
          }
          this.collect(row, options?.tag, ts, scope.window);
        },
      };
      this.user(() => dofn.onTimer!(family, tctx), { timer: family, key: scope.key, at });
    }
    await this.flushOutputs();
  }

  /** After a bundle's data: `finishBundle`, the set and cleared timers, and the changed state. */
  async finish(): Promise<void> {
    const dofn = this.ctx.dofn;
    if (dofn.finishBundle) {
      this.user(() =>
        dofn.finishBundle!({ output: (row, options) => this.collect(row, options?.tag, options?.timestamp ?? MIN_TIMESTAMP, options?.window ?? { start: MIN_TIMESTAMP, end: MAX_TIMESTAMP, global: true }) }),
      );
    }
    await this.flushOutputs();
    this.writeTimers();
    await this.state.flush();
  }

  /** Sets the window expiration timer of a (key, window): at the window's expiry, holding output at the window's end. */
  private setExpiry(scope: Scope): void {
    const k = `${WINDOW_EXPIRATION_TIMER}\u0000${scope.id}`;
    if (this.pending.has(k)) return;
    const at = Math.min(windowMaxTimestamp(scope.window) + this.ctx.allowedLateness, MAX_TIMESTAMP - 1);
    this.pending.set(k, { family: WINDOW_EXPIRATION_TIMER, scope, clear: false, at, hold: windowMaxTimestamp(scope.window) });
  }

  /** Calls `onWindowExpiration` for a (key, window) whose expiry timer fired; outputs default to the window's end. */
  private expire(scope: Scope, ts: number): void {
    const ectx = {
      key: scope.key,
      window: scope.window,
      state: this.state.cells(scope.id),
      output: (row: unknown, options?: OutputOptions) => this.collect(row, options?.tag, options?.timestamp ?? ts, scope.window),
    };
    this.user(() => this.ctx.dofn.onWindowExpiration!(ectx), { key: scope.key, window: scope.window });
  }

  private domainOf(family: string): "event" | "processing" {
    return this.ctx.dofn.timers?.[family]?.domain ?? "event";
  }

  private scope(key: unknown, window: Window): Scope {
    const kw = new ByteWriter();
    this.ctx.keyCoder.encode(key, kw, true);
    const keyBytes = kw.finish();
    const windowBytes = encodeOne(this.ctx.windowCoder, window);
    return { id: `${keyBytes.toString("base64")}|${windowBytes.toString("base64")}`, key, keyBytes, window, windowBytes };
  }

  private user<T>(f: () => T, value?: unknown): T {
    try {
      return this.ctx.call(f);
    } catch (e) {
      throw wrapUserError(e, this.ctx.name, value);
    }
  }

  private collect(row: unknown, tag: string | undefined, ts: number, window: Window): void {
    const c = this.collected.get(tag ?? "main");
    if (!c) {
      throw new UserCodeError({
        code: "BL_UNKNOWN_OUTPUT_TAG",
        where: this.where,
        value: tag,
        rule: "the DoFn emitted to an output tag it did not declare",
        fix: `declare it: parDoWithOutputs(fn, { outputs: { ${tag}: null } }); declared: ${[...this.collected.keys()].join(", ")}`,
      });
    }
    c.rows.push(row);
    c.ts.push(ts);
    c.windows.push(window);
  }

  private async flushOutputs(): Promise<void> {
    for (const [tag, c] of this.collected) {
      const b = c.take();
      if (b) await this.ctx.emit(this.ctx.outputs[tag], b);
    }
  }

  /** The timer handles of a (key, window). */
  private timers(scope: Scope): Record<string, Timer> {
    const out: Record<string, Timer> = {};
    for (const family of this.timerFamilies) {
      if (family === WINDOW_EXPIRATION_TIMER) continue;
      const domain = this.domainOf(family);
      const set = (at: number, options?: TimerSetOptions) => {
        const hold = options?.outputTimestamp ?? (domain === "event" ? at : this.contextTs);
        this.checkTimer(family, domain, scope.window, at, hold);
        this.pending.set(`${family}\u0000${scope.id}`, { family, scope, clear: false, at, hold });
      };
      out[family] = {
        set,
        setAfter: (delay, options) => set((domain === "event" ? this.contextTs : Date.now()) + durationMs(delay), options),
        clear: () => this.pending.set(`${family}\u0000${scope.id}`, { family, scope, clear: true, at: 0, hold: 0 }),
      };
    }
    return out;
  }

  private checkTimer(family: string, domain: string, window: Window, at: number, hold: number): void {
    const fail = (value: unknown, rule: string, fix: string): never => {
      throw new UserCodeError({ code: "BL_BAD_TIMER", where: `${this.where}, timer "${family}"`, value, rule, fix });
    };
    if (typeof at !== "number" || !Number.isFinite(at)) fail(at, "a timer must be set to a finite number of ms", "pass a timestamp in ms, e.g. ctx.timestamp + 60_000");
    if (typeof hold !== "number" || !Number.isFinite(hold)) fail(hold, "an output timestamp must be a finite number of ms", "pass a timestamp in ms");
    const expiry = Math.min(windowMaxTimestamp(window) + this.ctx.allowedLateness, MAX_TIMESTAMP - 1);
    if (domain === "event" && at > expiry) {
      fail(formatTimestamp(at), `an event-time timer must fire before its window expires (at ${formatTimestamp(expiry)}: the window's end plus the allowed lateness)`, "set it no later than windowMaxTimestamp(ctx.window), or allow more lateness");
    }
    if (hold < this.contextTs) fail(formatTimestamp(hold), `a timer's output timestamp may not be earlier than the element or timer that sets it (${formatTimestamp(this.contextTs)})`, "use a later output timestamp");
    if (domain === "event" && hold > at) fail(formatTimestamp(hold), `an event-time timer's output timestamp may not be later than when it fires (${formatTimestamp(at)})`, "use an output timestamp at or before the firing time");
    if (hold > windowMaxTimestamp(window)) fail(formatTimestamp(hold), "a timer's output timestamp must lie in its window", "use an output timestamp before the window's end");
  }

  /** Sends every set or cleared timer, then ends each family's stream for the bundle. */
  private writeTimers(): void {
    const channel = this.ctx.timerChannel;
    if (!channel) return;
    const instructionId = this.ctx.state.instructionId();
    const byFamily = new Map<string, ByteWriter>();
    for (const p of this.pending.values()) {
      let w = byFamily.get(p.family);
      if (!w) byFamily.set(p.family, (w = new ByteWriter()));
      const t: TimerValue = p.clear
        ? { userKey: p.scope.key, dynamicTimerTag: "", windows: [p.scope.window], clearBit: true }
        : { userKey: p.scope.key, dynamicTimerTag: "", windows: [p.scope.window], clearBit: false, fireTimestamp: p.at, holdTimestamp: p.hold, pane: NO_FIRING_PANE };
      this.ctx.timerCoders[p.family].encode(t, w, true);
    }
    for (const family of this.timerFamilies) {
      const w = byFamily.get(family);
      if (w) channel.sendTimers(instructionId, this.ctx.transformId, family, w.finish(), false);
      channel.sendTimers(instructionId, this.ctx.transformId, family, Buffer.alloc(0), true);
    }
    this.pending = new Map();
  }
}
