/**
 * The pipelines of the portable state suite: a stateful DoFn with every kind of state and an event-time
 * timer, one with `onWindowExpiration`, one with a processing-time timer, and user metrics.
 */
import * as path from "node:path";
import { create, fixedWindows, metrics, parDo, Pipeline, state, sum, timer, windowInto, withTimestamps, writeText } from "beamline";
import { windowMaxTimestamp } from "../../sdk/window";
import type { DoFn } from "beamline";

const BASE = Date.UTC(2024, 0, 1, 12, 0, 0);
/** The keys. */
export const USERS = ["ann", "bob", "cy", "dee"];
/** Events in the stateful pipeline. */
export const EVENTS = 120;

const seen = metrics.counter("seen");
const flushed = metrics.counter("flushed");
const sizes = metrics.distribution("windowSize");

type In = { key: string; value: number };

/** Buffers each key's values per one-minute window and flushes them, with running aggregates, when the window ends. */
const bufferUntilWindowEnd: DoFn<In, string, any, any> = {
  state: {
    count: state.value<number>(),
    values: state.bag<number>(),
    total: state.combining(sum()),
    distinct: state.set<number>(),
    maxByParity: state.map<string, number>(),
    ordered: state.orderedList<number>(),
  },
  timers: { flush: timer.eventTime() },
  process(row: In, ctx: any) {
    seen.inc();
    ctx.state.count.write((ctx.state.count.read() ?? 0) + 1);
    ctx.state.values.add(row.value);
    ctx.state.total.add(row.value);
    ctx.state.distinct.add(row.value % 7);
    // Elements of a key arrive in no fixed order: keep the largest value per parity.
    const parity = row.value % 2 === 0 ? "even" : "odd";
    ctx.state.maxByParity.put(parity, Math.max(ctx.state.maxByParity.get(parity) ?? -1, row.value));
    ctx.state.ordered.add(ctx.timestamp, row.value);
    ctx.timers.flush.set(windowMaxTimestamp(ctx.window));
  },
  onTimer(_name: string, ctx: any) {
    flushed.inc();
    const values = (ctx.state.values.read() as number[]).slice().sort((a, b) => a - b);
    sizes.update(values.length);
    const distinct = (ctx.state.distinct.read() as number[]).slice().sort((a, b) => a - b);
    const parity = (ctx.state.maxByParity.entries() as [string, number][]).map(([k, v]) => `${k}:${v}`).sort().join(",");
    const first = (ctx.state.ordered.read() as { value: number }[])[0]?.value;
    ctx.output(
      `${new Date(ctx.window.start).toISOString()} ${String(ctx.key)} n=${ctx.state.count.read()} sum=${ctx.state.total.read()} distinct=${distinct.join("+")} parity=${parity} first=${first} values=${values.join(",")} at=${ctx.outputTimestamp}`,
    );
    ctx.state.values.clear();
    ctx.state.count.clear();
  },
};

/** Sums each key's values per window in combining state, output when the window expires. */
const sumAtExpiry: DoFn<In, string, any> = {
  state: { total: state.combining(sum()) },
  process(row: In, ctx: any) {
    ctx.state.total.add(row.value);
  },
  onWindowExpiration(ctx: any) {
    ctx.output(`${new Date(ctx.window.start).toISOString()} ${String(ctx.key)} total=${ctx.state.total.read()}`);
  },
};

/** Counts each key's values in the global window and outputs the count from a processing-time timer set 50 ms after the first value. */
const countAfterDelay: DoFn<In, string, any, any> = {
  state: { n: state.value<number>(), armed: state.value<boolean>() },
  timers: { flush: timer.processingTime() },
  process(_row: In, ctx: any) {
    ctx.state.n.write((ctx.state.n.read() ?? 0) + 1);
    if (!ctx.state.armed.read()) {
      ctx.state.armed.write(true);
      ctx.timers.flush.setAfter(50);
    }
  },
  onTimer(_name: string, ctx: any) {
    ctx.output(`${String(ctx.key)} n=${ctx.state.n.read()} ${ctx.timeDomain}`);
    ctx.state.n.clear();
    ctx.state.armed.clear();
  },
};

/** Keyed values in the global window through {@link countAfterDelay}, writing under `outDir`. */
export function processingTimePipeline(outDir: string): Pipeline {
  const p = new Pipeline();
  const rows: In[] = [];
  for (let i = 0; i < 40; i++) rows.push({ key: USERS[i % USERS.length], value: i });
  p.apply("Values", create(rows)).apply("CountAfterDelay", parDo<In, string>(countAfterDelay as any)).apply("Write", writeText(path.join(outDir, "delayed")));
  return p;
}

/** The stateful pipeline, writing under `outDir`. */
export function statefulPipeline(outDir: string): Pipeline {
  const p = new Pipeline();
  const events: { user: string; n: number; at: number }[] = [];
  for (let i = 0; i < EVENTS; i++) events.push({ user: USERS[i % USERS.length], n: i, at: BASE + ((i * 7919) % EVENTS) * 1500 });
  const keyed = p
    .apply("Events", create(events))
    .apply("Stamp", withTimestamps<{ user: string; n: number; at: number }>("at"))
    .apply("Minutes", windowInto(fixedWindows("1m")))
    .map((e: { user: string; n: number }) => ({ key: e.user, value: e.n }), { name: "Key" });
  keyed.apply("Buffer", parDo<In, string>(bufferUntilWindowEnd as any)).apply("Write", writeText(path.join(outDir, "stateful")));
  keyed.apply("SumAtExpiry", parDo<In, string>(sumAtExpiry as any)).apply("WriteExpired", writeText(path.join(outDir, "expired")));
  return p;
}
