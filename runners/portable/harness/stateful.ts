/**
 * A stateful DoFn in the SDK harness. Its input arrives as KV elements (the runner partitions it by
 * key); its state cells live in the runner, read and written through the state channel (see
 * ./state.ts); its timers arrive as firings on the timer data channel, one stream per timer family,
 * and what it sets or clears goes back on that channel when the bundle ends — the runner holds the
 * output watermark at each timer's output timestamp and delivers the timer when its time comes.
 */
import { paneAt, windowAt } from "../../../sdk/batch";
import { windowMaxTimestamp, type Window } from "../../../sdk/window";
import { KeyScope, StatefulDoFn, StatefulDoFnRunner } from "../../runtime/stateful/dofn-runner";
import { expiryOf } from "../../runtime/stateful/timers";
import { Coder, encodeOne, TimerValue } from "../coders/coders";
import { NO_FIRING } from "../../../sdk/batch";
import { ByteReader, ByteWriter } from "../coders/wire";
import type { DataChannel } from "./channels";
import { Elements, RowBatch, toRowBatch } from "./elements/elements";
import { StateAccess, UserStateCache } from "./state";
import { WINDOW_EXPIRATION_TIMER } from "../model/payloads";

export type { StatefulDoFn };

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
  /** The processing-time clock (ms); the wall clock when absent. */
  readonly clock?: () => number;
}

/** Per (key, window): the id of its cache entry, its encodings, and its cells and timers as the runtime sees them. */
interface Scope extends KeyScope {
  readonly id: string;
  readonly keyBytes: Buffer;
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

/** The operator of a stateful DoFn for one bundle processor (reused across its bundles). */
export class StatefulOperator {
  private state: UserStateCache;
  private pending = new Map<string, PendingTimer>();
  private readonly runner: StatefulDoFnRunner;

  constructor(private readonly ctx: StatefulContext) {
    this.state = new UserStateCache(ctx.transformId, ctx.dofn.state ?? {}, ctx.state);
    this.runner = new StatefulDoFnRunner({
      transform: ctx.name,
      dofn: ctx.dofn,
      allowedLateness: ctx.allowedLateness,
      outputTags: Object.keys(ctx.outputs),
      processingTime: ctx.clock ?? Date.now,
      call: (f) => ctx.call(f),
    });
  }

  /** The timer families whose firings the bundle must receive. */
  get timerFamilies(): string[] {
    return Object.keys(this.ctx.timerCoders);
  }

  /** Before a bundle's data. */
  start(): void {
    this.pending = new Map();
    this.runner.startBundle();
  }

  /** Input elements: loads each (key, window)'s state, then calls `process` row by row. */
  async process(b: Elements): Promise<void> {
    const rb = toRowBatch(b);
    const n = rb.rows.length;
    const scopes: Scope[] = new Array(n);
    for (let i = 0; i < n; i++) scopes[i] = this.scope((rb.rows[i] as { key: unknown }).key, windowAt(rb.windows, i));
    await Promise.all(scopes.map((s) => this.state.load(s.id, s.windowBytes, s.keyBytes)));
    const expires = this.runner.expires && WINDOW_EXPIRATION_TIMER in this.ctx.timerCoders;
    for (let i = 0; i < n; i++) {
      const s = scopes[i];
      if (expires) this.setExpiry(s);
      this.runner.process(rb.rows[i], rb.timestamps[i], s, paneAt(rb.panes, i));
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
    for (const { t, scope } of firings) {
      const k = `${family}\u0000${scope.id}`;
      const reset = this.pending.get(k);
      // Set again or cleared in this bundle: the runner delivers the new setting later, or never.
      if (reset && (reset.clear || reset.at !== t.fireTimestamp)) continue;
      if (reset) this.pending.delete(k);
      if (family === WINDOW_EXPIRATION_TIMER) this.runner.expireWindow(scope);
      else this.runner.fireTimer({ name: family, at: t.fireTimestamp!, outputTimestamp: t.holdTimestamp! }, scope);
    }
    await this.flushOutputs();
  }

  /** After a bundle's data: `finishBundle`, the set and cleared timers, and the changed state. */
  async finish(): Promise<void> {
    this.runner.finishBundle();
    await this.flushOutputs();
    this.writeTimers();
    await this.state.flush();
  }

  /** Sets the window expiration timer of a (key, window): at the window's expiry, holding output at the window's end. */
  private setExpiry(scope: Scope): void {
    const k = `${WINDOW_EXPIRATION_TIMER}\u0000${scope.id}`;
    if (this.pending.has(k)) return;
    this.pending.set(k, { family: WINDOW_EXPIRATION_TIMER, scope, clear: false, at: expiryOf(scope.window, this.ctx.allowedLateness), hold: windowMaxTimestamp(scope.window) });
  }

  private scope(key: unknown, window: Window): Scope {
    const kw = new ByteWriter();
    this.ctx.keyCoder.encode(key, kw, true);
    const keyBytes = kw.finish();
    const windowBytes = encodeOne(this.ctx.windowCoder, window);
    const id = `${keyBytes.toString("base64")}|${windowBytes.toString("base64")}`;
    const scope: Scope = {
      id,
      key,
      keyBytes,
      window,
      windowBytes,
      get state() {
        return cells();
      },
      timers: {
        set: (t) => this.pending.set(`${t.name}\u0000${id}`, { family: t.name, scope, clear: false, at: t.at, hold: t.outputTimestamp }),
        clear: (family) => this.pending.set(`${family}\u0000${id}`, { family, scope, clear: true, at: 0, hold: 0 }),
      },
    };
    const cells = () => this.state.cells(id);
    return scope;
  }

  private async flushOutputs(): Promise<void> {
    for (const out of this.runner.outputs.drain()) {
      await this.ctx.emit(this.ctx.outputs[out.tag], { rows: out.rows, timestamps: out.timestamps, windows: out.windows });
    }
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
        : { userKey: p.scope.key, dynamicTimerTag: "", windows: [p.scope.window], clearBit: false, fireTimestamp: p.at, holdTimestamp: p.hold, pane: NO_FIRING };
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
