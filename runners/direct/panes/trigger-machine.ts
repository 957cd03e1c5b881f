/**
 * Trigger state machines: decide, per key and window, when the windowed grouping operator emits a
 * pane. They follow Beam's runners-core trigger state machines. The state of one key and window is
 * plain, structured-cloneable data (a tree shaped like the spec), so checkpoints store it as is; the
 * machine itself holds only the compiled spec and may be shared by every key and window.
 *
 * How the operator drives it, per key and window:
 * - `init()` when the window gets its first element, then `onElement` for each element;
 * - `onMerge` when session windows merge (the machine must be built with `{ merging: true }`);
 * - `shouldFire` after adding elements, when the input watermark passes the end of the window, and
 *   at the processing time `nextProcessingTime` asked for; if true, emit a pane, then `onFire`;
 * - once `isFinished`, emit nothing more for the window (later data is dropped).
 *
 * As in Beam, `shouldFire` of a watermark-driven part stays true while the watermark is past the end
 * of the window (the default trigger keeps answering true after its on-time pane): the operator asks
 * only when something happened to the window (elements arrived, its end-of-window or a processing-time
 * wake-up is due) and decides whether an empty pane is worth emitting.
 */
import { BeamlineError } from "../../../sdk/errors";
import { type TimestampTransform, type TriggerSpec, validateTrigger } from "../../../sdk/trigger";

/** What a trigger sees of time and of its window. */
export interface TriggerEnv {
  /** The operator's input watermark (ms). */
  readonly watermark: number;
  /** The current (possibly simulated) processing time (ms). */
  readonly processingTime: number;
  /** The window; its largest timestamp is `end - 1`, and it is past its end once `watermark > end - 1`. */
  readonly window: { readonly start: number; readonly end: number };
}

/**
 * The state of a trigger for one key and window: a tree shaped like the trigger spec. Plain data;
 * treat it as opaque outside this module.
 */
export interface TriggerState {
  /** Whether this part has finished (it fires no more, unless a parent resets it). */
  finished: boolean;
  /** afterCount: elements seen since the last firing. */
  count?: number;
  /** afterProcessingTime: processing time at which it is ready; null until an element arrives. */
  readyAt?: number | null;
  /** The states of the parts inside, in spec order (afterWatermark: early, then late). */
  parts?: TriggerState[];
}

/** Options of a {@link TriggerMachine}. */
export interface TriggerMachineOptions {
  /**
   * Whether windows may merge (session windows). Merging machines feed every sub-trigger in
   * parallel and clear them at each firing, as Beam does, so that {@link TriggerMachine.onMerge}
   * has every part's state. Default false.
   */
  readonly merging?: boolean;
}

/** One part of a compiled trigger. Implementations mutate the state they are given. */
abstract class Part {
  /** Whether this part or one inside it waits on processing time. */
  readonly usesProcessingTime: boolean;

  constructor(
    readonly children: readonly Part[],
    readonly merging: boolean,
    ownProcessingTime = false,
  ) {
    this.usesProcessingTime = ownProcessingTime || children.some((c) => c.usesProcessingTime);
  }

  /** A fresh, unfinished state. */
  init(): TriggerState {
    const s: TriggerState = { finished: false };
    this.initData(s);
    if (this.children.length > 0) s.parts = this.children.map((c) => c.init());
    return s;
  }

  /** Sets this part's own data to its empty value. */
  protected initData(_s: TriggerState): void {}

  /** Clears the pane data of this part and the parts inside, keeping finished flags (Beam's `clear`). */
  clear(s: TriggerState): void {
    this.initData(s);
    this.children.forEach((c, i) => c.clear(s.parts![i]));
  }

  /** Clears data and finished flags of this part and every part inside (Beam's `resetTree`). */
  reset(s: TriggerState): void {
    s.finished = false;
    this.initData(s);
    this.children.forEach((c, i) => c.reset(s.parts![i]));
  }

  /** Records an element. By default every unfinished part inside sees it. */
  onElement(s: TriggerState, env: TriggerEnv): void {
    this.children.forEach((c, i) => feed(c, s.parts![i], env));
  }

  /** The state of a merged window from the states of the windows merged into it. */
  abstract merge(states: readonly TriggerState[], env: TriggerEnv): TriggerState;

  /** Whether this part is ready to fire. */
  abstract shouldFire(s: TriggerState, env: TriggerEnv): boolean;

  /** Advances after a pane was emitted because this part was ready. */
  abstract onFire(s: TriggerState, env: TriggerEnv): void;

  /** Earliest processing time at which an active part inside may become ready. */
  nextProcessingTime(s: TriggerState): number | null {
    return this.children.reduce<number | null>((m, c, i) => earliest(m, active(c, s.parts![i])), null);
  }

  /** The merged states of child `i`. */
  protected mergeChild(i: number, states: readonly TriggerState[], env: TriggerEnv): TriggerState {
    return this.children[i].merge(states.map((s) => s.parts![i]), env);
  }
}

/** Feeds an element to a part unless it has finished. */
function feed(part: Part, s: TriggerState, env: TriggerEnv): void {
  if (!s.finished) part.onElement(s, env);
}

/** A part's next processing time, or null if it has finished. */
function active(part: Part, s: TriggerState): number | null {
  return s.finished ? null : part.nextProcessingTime(s);
}

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

function pastEndOfWindow(env: TriggerEnv): boolean {
  return env.watermark > env.window.end - 1;
}

/** Beam's default trigger: ready whenever the watermark is past the end of the window; never finishes. */
class DefaultPart extends Part {
  merge(): TriggerState {
    return this.init();
  }
  shouldFire(_s: TriggerState, env: TriggerEnv): boolean {
    return pastEndOfWindow(env);
  }
  onFire(): void {}
}

/** Never ready. */
class NeverPart extends Part {
  merge(): TriggerState {
    return this.init();
  }
  shouldFire(): boolean {
    return false;
  }
  onFire(s: TriggerState): void {
    s.finished = true;
  }
}

/** `afterWatermark()` alone: ready once past the end of the window, then finished. */
class EndOfWindowPart extends Part {
  merge(states: readonly TriggerState[], env: TriggerEnv): TriggerState {
    const s = this.init();
    // Done for good only if it fired in every merged window and the merged window is also complete.
    s.finished = states.every((x) => x.finished) && pastEndOfWindow(env);
    return s;
  }
  shouldFire(_s: TriggerState, env: TriggerEnv): boolean {
    return pastEndOfWindow(env);
  }
  onFire(s: TriggerState): void {
    s.finished = true;
  }
}

const EARLY = 0;
const LATE = 1;

/**
 * `afterWatermark({ early, late })`: the early part repeats until the watermark passes the end of the
 * window, which fires the on-time pane; then the late part repeats, or, without one, it finishes.
 */
class EarlyLatePart extends Part {
  private readonly early: Part;
  private readonly late: Part | null;

  constructor(early: Part, late: Part | null, merging: boolean) {
    super(late ? [early, late] : [early], merging);
    this.early = early;
    this.late = late;
  }

  override onElement(s: TriggerState, env: TriggerEnv): void {
    const [early, late] = s.parts!;
    if (this.merging) super.onElement(s, env);
    else if (!early.finished) feed(this.early, early, env);
    else if (this.late) feed(this.late, late, env);
  }

  merge(states: readonly TriggerState[], env: TriggerEnv): TriggerState {
    const s = this.init();
    const earlyStates = states.map((x) => x.parts![EARLY]);
    if (!earlyStates.every((x) => x.finished) || !pastEndOfWindow(env)) {
      // Some merged window has not had its on-time pane yet: the merged window is before it too.
      s.parts![EARLY] = this.early.merge(earlyStates, env);
      s.parts![EARLY].finished = false;
    } else {
      s.parts![EARLY].finished = true;
      if (this.late) s.parts![LATE] = this.mergeChild(LATE, states, env);
      else s.finished = true;
    }
    return s;
  }

  shouldFire(s: TriggerState, env: TriggerEnv): boolean {
    const [early, late] = s.parts!;
    if (!early.finished) return this.early.shouldFire(early, env) || pastEndOfWindow(env);
    return this.late !== null && !late.finished && this.late.shouldFire(late, env);
  }

  onFire(s: TriggerState, env: TriggerEnv): void {
    const [early, late] = s.parts!;
    if (!early.finished) {
      if (!pastEndOfWindow(env)) {
        // An early pane: the early trigger starts over.
        this.early.onFire(early, env);
        this.early.reset(early);
        return;
      }
      // The on-time pane: the early trigger is done for good, and the late one starts afresh.
      if (this.early.shouldFire(early, env)) this.early.onFire(early, env);
      this.early.reset(early);
      early.finished = true;
      if (this.late) this.late.reset(late);
      else s.finished = true;
    } else if (this.late) {
      // A late pane: the late trigger starts over.
      this.late.onFire(late, env);
      this.late.reset(late);
    } else {
      s.finished = true;
    }
  }

  override nextProcessingTime(s: TriggerState): number | null {
    const [early, late] = s.parts!;
    if (!early.finished) return active(this.early, early);
    return this.late ? active(this.late, late) : null;
  }
}

/** `afterProcessingTime`: ready once processing time reaches the mapped time of the pane's first element. */
class ProcessingTimePart extends Part {
  constructor(private readonly transforms: readonly TimestampTransform[], merging: boolean) {
    super([], merging, true);
  }

  protected override initData(s: TriggerState): void {
    s.readyAt = null;
  }

  override onElement(s: TriggerState, env: TriggerEnv): void {
    if (s.readyAt == null) s.readyAt = this.target(env.processingTime);
  }

  merge(states: readonly TriggerState[]): TriggerState {
    const s = this.init();
    if (states.every((x) => x.finished)) {
      s.finished = true;
      return s;
    }
    // The merged pane is ready as soon as the earliest of the merged panes would have been.
    for (const x of states) if (!x.finished) s.readyAt = earliest(s.readyAt ?? null, x.readyAt ?? null);
    return s;
  }

  shouldFire(s: TriggerState, env: TriggerEnv): boolean {
    return s.readyAt != null && env.processingTime >= s.readyAt;
  }

  onFire(s: TriggerState): void {
    s.readyAt = null;
    s.finished = true;
  }

  override nextProcessingTime(s: TriggerState): number | null {
    return s.readyAt ?? null;
  }

  private target(time: number): number {
    let t = time;
    for (const step of this.transforms) {
      if (step.kind === "delay") t += step.ms;
      else {
        const since = (((t - step.offset) % step.period) + step.period) % step.period;
        if (since !== 0) t += step.period - since;
      }
    }
    return t;
  }
}

/** `afterCount(n)`: ready once `n` elements arrived since the last firing. */
class CountPart extends Part {
  constructor(private readonly n: number, merging: boolean) {
    super([], merging);
  }

  protected override initData(s: TriggerState): void {
    s.count = 0;
  }

  override onElement(s: TriggerState): void {
    s.count = (s.count ?? 0) + 1;
  }

  merge(states: readonly TriggerState[]): TriggerState {
    const s = this.init();
    // Having fired in any merged window means it has seen enough elements.
    if (states.some((x) => x.finished)) s.finished = true;
    else s.count = states.reduce((sum, x) => sum + (x.count ?? 0), 0);
    return s;
  }

  shouldFire(s: TriggerState): boolean {
    return (s.count ?? 0) >= this.n;
  }

  onFire(s: TriggerState): void {
    s.count = 0;
    s.finished = true;
  }
}

/** `repeatedly(t)`: fires whenever `t` does, resetting it once it finishes; never finishes. */
class RepeatedlyPart extends Part {
  merge(states: readonly TriggerState[], env: TriggerEnv): TriggerState {
    const s = this.init();
    s.parts![0] = this.mergeChild(0, states, env);
    return s;
  }

  shouldFire(s: TriggerState, env: TriggerEnv): boolean {
    return this.children[0].shouldFire(s.parts![0], env);
  }

  onFire(s: TriggerState, env: TriggerEnv): void {
    const sub = s.parts![0];
    this.children[0].onFire(sub, env);
    if (sub.finished) this.children[0].reset(sub);
  }
}

/** `afterEach(t1, t2, …)`: fires as the first unfinished trigger fires; finished when all are. */
class AfterEachPart extends Part {
  override onElement(s: TriggerState, env: TriggerEnv): void {
    if (this.merging) return super.onElement(s, env);
    const i = this.current(s);
    if (i >= 0) this.children[i].onElement(s.parts![i], env);
  }

  merge(states: readonly TriggerState[], env: TriggerEnv): TriggerState {
    const s = this.init();
    if (states.every((x) => x.finished)) {
      s.finished = true;
      return s;
    }
    // Triggers up to the first one still running merge; later ones start afresh.
    let priorFinished = true;
    this.children.forEach((_c, i) => {
      if (!priorFinished) return;
      s.parts![i] = this.mergeChild(i, states, env);
      priorFinished = s.parts![i].finished;
    });
    s.finished = this.current(s) < 0;
    return s;
  }

  shouldFire(s: TriggerState, env: TriggerEnv): boolean {
    const i = this.current(s);
    return i >= 0 && this.children[i].shouldFire(s.parts![i], env);
  }

  onFire(s: TriggerState, env: TriggerEnv): void {
    const i = this.current(s);
    this.children[i].onFire(s.parts![i], env);
    // Merging machines ran every trigger in parallel over this pane; the next one starts afresh.
    if (this.merging) this.children.forEach((c, j) => c.clear(s.parts![j]));
    s.finished = this.current(s) < 0;
  }

  override nextProcessingTime(s: TriggerState): number | null {
    const i = this.current(s);
    return i >= 0 ? this.children[i].nextProcessingTime(s.parts![i]) : null;
  }

  /** Index of the first unfinished trigger, or -1. */
  private current(s: TriggerState): number {
    return s.parts!.findIndex((p) => !p.finished);
  }
}

/** `afterFirst(…)`: fires once when any trigger is ready. */
class AfterFirstPart extends Part {
  merge(states: readonly TriggerState[], env: TriggerEnv): TriggerState {
    const s = this.init();
    s.parts = this.children.map((_c, i) => this.mergeChild(i, states, env));
    s.finished = s.parts.some((p) => p.finished);
    return s;
  }

  shouldFire(s: TriggerState, env: TriggerEnv): boolean {
    return this.children.some((c, i) => s.parts![i].finished || c.shouldFire(s.parts![i], env));
  }

  onFire(s: TriggerState, env: TriggerEnv): void {
    this.children.forEach((c, i) => {
      const sub = s.parts![i];
      // Those not ready lose the pane they were tracking.
      if (c.shouldFire(sub, env)) c.onFire(sub, env);
      else c.clear(sub);
    });
    s.finished = true;
  }
}

/** `afterAll(…)`: fires once when every trigger is ready. */
class AfterAllPart extends Part {
  merge(states: readonly TriggerState[], env: TriggerEnv): TriggerState {
    const s = this.init();
    s.parts = this.children.map((_c, i) => this.mergeChild(i, states, env));
    s.finished = s.parts.every((p) => p.finished);
    return s;
  }

  shouldFire(s: TriggerState, env: TriggerEnv): boolean {
    return this.children.every((c, i) => s.parts![i].finished || c.shouldFire(s.parts![i], env));
  }

  onFire(s: TriggerState, env: TriggerEnv): void {
    this.children.forEach((c, i) => {
      if (!s.parts![i].finished) c.onFire(s.parts![i], env);
    });
    s.finished = true;
  }
}

const ACTUAL = 0;
const UNTIL = 1;

/** `orFinally(t, until)`: fires as `t` does; when `until` is ready it fires a last time and finishes. */
class OrFinallyPart extends Part {
  merge(states: readonly TriggerState[], env: TriggerEnv): TriggerState {
    const s = this.init();
    s.parts = [this.mergeChild(ACTUAL, states, env), this.mergeChild(UNTIL, states, env)];
    s.finished = s.parts.some((p) => p.finished);
    return s;
  }

  shouldFire(s: TriggerState, env: TriggerEnv): boolean {
    return this.children[ACTUAL].shouldFire(s.parts![ACTUAL], env) || this.children[UNTIL].shouldFire(s.parts![UNTIL], env);
  }

  onFire(s: TriggerState, env: TriggerEnv): void {
    const [actual, until] = s.parts!;
    if (this.children[UNTIL].shouldFire(until, env)) {
      this.children[UNTIL].onFire(until, env);
      this.children[ACTUAL].clear(actual);
    } else {
      // `until` keeps counting across the firings of the main trigger.
      this.children[ACTUAL].onFire(actual, env);
    }
    s.finished = actual.finished || until.finished;
  }
}

function compile(spec: TriggerSpec, merging: boolean): Part {
  const sub = (t: TriggerSpec) => compile(t, merging);
  switch (spec.kind) {
    case "default":
      return new DefaultPart([], merging);
    case "never":
      return new NeverPart([], merging);
    case "afterWatermark":
      if (spec.early === undefined && spec.late === undefined) return new EndOfWindowPart([], merging);
      return new EarlyLatePart(sub(spec.early ?? { kind: "never" }), spec.late ? sub(spec.late) : null, merging);
    case "afterProcessingTime":
      return new ProcessingTimePart(spec.transforms, merging);
    case "afterCount":
      return new CountPart(spec.count, merging);
    case "repeatedly":
      return new RepeatedlyPart([sub(spec.trigger)], merging);
    case "afterEach":
      return new AfterEachPart(spec.triggers.map(sub), merging);
    case "afterFirst":
      return new AfterFirstPart(spec.triggers.map(sub), merging);
    case "afterAll":
      return new AfterAllPart(spec.triggers.map(sub), merging);
    case "orFinally":
      return new OrFinallyPart([sub(spec.trigger), sub(spec.until)], merging);
  }
}

/**
 * A trigger compiled from its spec. Holds no per-window data: every method takes the state of one
 * key and window (from {@link init} or {@link onMerge}) and mutates it in place.
 */
export class TriggerMachine {
  /** The trigger this machine runs. */
  readonly spec: TriggerSpec;
  /** Whether some part waits on processing time (the operator then schedules wake-ups). */
  readonly usesProcessingTime: boolean;
  /** Whether the machine is built for merging (session) windows. */
  readonly merging: boolean;
  private readonly root: Part;

  constructor(spec: TriggerSpec, options: TriggerMachineOptions = {}) {
    this.spec = validateTrigger(spec);
    this.merging = options.merging ?? false;
    this.root = compile(this.spec, this.merging);
    this.usesProcessingTime = this.root.usesProcessingTime;
  }

  /** The state of a window that has not seen any element yet. */
  init(): TriggerState {
    return this.root.init();
  }

  /** Records an element of the window (no effect once finished). */
  onElement(state: TriggerState, env: TriggerEnv, _timestamp: number): void {
    if (!state.finished) this.root.onElement(state, env);
  }

  /**
   * The state of the window that `states` (of the windows merged into it) became; `env.window` is
   * the merged window. The given states are left as they were.
   */
  onMerge(states: TriggerState[], env: TriggerEnv): TriggerState {
    if (!this.merging) {
      throw new BeamlineError({
        code: "BL_TRIGGER_NOT_MERGING",
        domain: "internal",
        value: this.spec,
        rule: "onMerge was called on a trigger machine built for windows that do not merge",
        fix: "build the machine with new TriggerMachine(spec, { merging: true }) for session windows",
      });
    }
    if (states.length === 0) return this.init();
    return this.root.merge(states, env);
  }

  /** Whether a pane should be emitted now. Always false once finished. */
  shouldFire(state: TriggerState, env: TriggerEnv): boolean {
    return !state.finished && this.root.shouldFire(state, env);
  }

  /** Advances the state after the operator emitted a pane because {@link shouldFire} was true. */
  onFire(state: TriggerState, env: TriggerEnv): void {
    if (!state.finished) this.root.onFire(state, env);
  }

  /** Whether the trigger will never fire again for this window. */
  isFinished(state: TriggerState): boolean {
    return state.finished;
  }

  /**
   * The earliest processing time at which a processing-time part may become ready, or null when none
   * is waiting; the operator schedules a wake-up then and asks {@link shouldFire}.
   */
  nextProcessingTime(state: TriggerState): number | null {
    return state.finished ? null : this.root.nextProcessingTime(state);
  }
}
