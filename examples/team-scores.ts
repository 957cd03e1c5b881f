/**
 * Streaming team scores: a generated stream of game events (paced in processing time, stamped in
 * event time, with some events arriving late) summed per team in fixed event-time windows, with
 * early (speculative) firings while a window is open, an on-time pane when the watermark passes its
 * end, and late firings for late events up to the allowed lateness. Every pane is printed as it fires.
 *
 *   npx beamline run examples/team-scores.ts --events=20000 --rate=2000
 */
import {
  afterCount,
  afterProcessingTime,
  afterWatermark,
  definePipeline,
  fixedWindows,
  formatTimestamp,
  generateSequence,
  groupBy,
  option,
  parDo,
  type PCollection,
  sum,
  windowInto,
  withTimestamps,
} from "beamline";

/** One game event. */
export interface GameEvent {
  user: string;
  team: string;
  score: number;
  timestamp: number;
}

const TEAMS = ["red", "blue", "green", "amber"];
/** Event time advances by this much per event. */
export const EVENT_SPACING_MS = 20;

/**
 * Event `i` of the stream: a user of one of four teams scoring 1–10 points, stamped `i * 20 ms`.
 * Every 50th event arrives 15 s late (a late pane), every 333rd 90 s late (past the lateness: dropped).
 */
export function gameEvent(i: number): GameEvent {
  const user = (i * 7919) % 97;
  const team = TEAMS[user % TEAMS.length];
  const score = 1 + ((i * 31) % 10);
  const delay = i % 333 === 332 ? 90_000 : i % 50 === 49 ? 15_000 : 0;
  return { user: `user${user}`, team, score, timestamp: Math.max(0, i * EVENT_SPACING_MS - delay) };
}

/** Options of {@link teamScores}. */
export interface TeamScoreOptions {
  /** Event-time window size. */
  readonly window: string;
  /** Processing time after a pane's first event before an early firing. */
  readonly early: string;
  /** Allowed lateness in event time. */
  readonly lateness: string;
}

/** Game events → per-team sums in fixed windows, early firings, on-time pane, a late pane per late event. */
export function teamScores(events: PCollection<GameEvent>, o: TeamScoreOptions): PCollection<{ team: string; score: number }> {
  return events
    .apply("EventTime", withTimestamps<GameEvent>("timestamp"))
    .apply(
      "TeamWindows",
      windowInto<GameEvent>(fixedWindows(o.window), {
        trigger: afterWatermark({ early: afterProcessingTime(o.early), late: afterCount(1) }),
        allowedLateness: o.lateness,
        accumulation: "accumulating",
      }),
    )
    .apply("TeamScores", groupBy<GameEvent>("team").aggregate({ score: sum("score") })) as PCollection<{ team: string; score: number }>;
}

export default definePipeline({
  description: "Sums game scores per team in fixed windows with early and late firings, over a generated stream, printing each pane.",
  options: {
    events: option.integer("how many events to generate", { default: 20_000 }),
    rate: option.number("events per second of processing time (0: as fast as possible)", { default: 2_000 }),
    window: option.string("event-time window size", { default: "10s" }),
    early: option.string("processing time after a pane's first event before an early firing", { default: "100ms" }),
    lateness: option.string("allowed lateness in event time", { default: "30s" }),
  },
  build(p, o) {
    const events = p
      .apply("Events", generateSequence({ to: o.events, ...(o.rate > 0 ? { ratePerSecond: o.rate } : {}), eventTime: { start: 0, interval: EVENT_SPACING_MS } }))
      .map(gameEvent, { name: "ToEvent" });
    teamScores(events, o).apply(
      "PrintPanes",
      parDo<{ team: string; score: number }, never>({
        process(row, ctx) {
          const w = `${formatTimestamp(ctx.window.start).slice(11, 19)}–${formatTimestamp(ctx.window.end).slice(11, 19)}`;
          const pane = `${ctx.pane.timing.replace("_", "-")} #${ctx.pane.index}${ctx.pane.isLast ? " (final)" : ""}`;
          process.stdout.write(`window ${w}  ${pane.padEnd(18)}  ${row.team.padEnd(6)} ${row.score}\n`);
        },
      }),
    );
  },
});
