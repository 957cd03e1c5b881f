/**
 * TestStream scenarios (Beam's LeaderBoard team scores and Python Beam's group-by-key scenarios) that
 * each write one line per pane — window, key, result, and the pane's timing, index and first/last
 * flags — so runs on different runners compare line for line.
 */
import * as path from "node:path";
import {
  afterCount,
  afterProcessingTime,
  afterWatermark,
  combinePerKey,
  create,
  ElementInfo,
  fixedWindows,
  groupByKey,
  map,
  Pipeline,
  sum,
  testStream,
  timestamped,
  TestStream,
  windowInto,
  withTimestamps,
  writeText,
} from "beamline";
import { users } from "../semantics/scenarios/leaderboard";

interface GameAction {
  user: string;
  team: string;
  score: number;
}

const S = 1000;
const MINUTE = 60 * S;
const HOUR = 60 * MINUTE;
const TEAM_WINDOW = 20 * MINUTE;

function event(who: keyof typeof users, score: number, at: number) {
  const [user, team] = users[who];
  return timestamped<GameAction>({ user, team, score }, at);
}

/** A pane as text: window start, the pane's timing, index and first/last flags. */
function pane(info: ElementInfo): string {
  return `${info.window.start} ${info.pane.timing} ${info.pane.index} ${info.pane.isFirst ? "F" : "-"}${info.pane.isLast ? "L" : "-"}`;
}

/** Team score sums in 20-minute windows, early firings 5 minutes and late firings 10 minutes (processing time) after a pane's first element, accumulating, late data allowed for `allowedLateness` (an hour unless given). */
function teamScores(events: TestStream<GameAction>, out: string, allowedLateness = HOUR): Pipeline {
  const p = new Pipeline();
  p.apply("Events", events)
    .apply(
      "TeamWindows",
      windowInto(fixedWindows(TEAM_WINDOW), {
        trigger: afterWatermark({ early: afterProcessingTime("5m"), late: afterProcessingTime("10m") }),
        allowedLateness,
        accumulation: "accumulating",
      }),
    )
    .apply("ByTeam", map((e: GameAction) => ({ key: e.team, value: e.score })))
    .apply("Sum", combinePerKey(sum()))
    .apply("Format", map((kv: { key: string; value: number }, info: ElementInfo) => `${pane(info)} ${kv.key} ${kv.value}`))
    .apply("Write", writeText(out));
  return p;
}

/** Strings grouped by one key in 15-second windows with `trigger`, one line per pane with the sorted values. */
function grouped(events: TestStream<string>, options: Parameters<typeof windowInto>[1], out: string): Pipeline {
  const p = new Pipeline();
  p.apply("Events", events)
    .apply("Windows", windowInto(fixedWindows(15 * S), options))
    .apply("Key", map((x: string) => ({ key: "k", value: x })))
    .apply("Group", groupByKey<string, string>())
    .apply("Format", map((g: { key: string; values: string[] }, info: ElementInfo) => `${pane(info)} ${g.key} [${[...g.values].sort().join(",")}]`))
    .apply("Write", writeText(out));
  return p;
}

/** One element in each of two 15-second windows, the watermark before each: early-count scenarios. */
function earlyCountEvents(): TestStream<string> {
  return testStream<string>().advanceWatermarkTo(10 * S).addElements(timestamped("a", 11 * S)).advanceWatermarkTo(20 * S).addElements(timestamped("b", 21 * S)).advanceWatermarkToInfinity();
}

/** On-time data, then data behind the watermark: late within 280 s of lateness, and droppably late. */
function lateDataEvents(): TestStream<string> {
  return testStream<string>()
    .advanceWatermarkTo(10 * S)
    .addElements("a", "b", "c")
    .advanceWatermarkTo(20 * S)
    .addElements("d")
    .addElements("e")
    .advanceWatermarkTo(300 * S)
    .addElements(timestamped("late", 290 * S))
    .addElements(timestamped("last", 310 * S))
    .addElements(timestamped("too-late", 2 * S))
    .advanceWatermarkToInfinity();
}

/** LeaderBoard's speculative scenario: processing time advances between elements of one window. */
function speculativeEvents(): TestStream<GameAction> {
  return testStream<GameAction>()
    .advanceWatermarkTo(0)
    .addElements(event("blueOne", 3, 3 * S), event("blueOne", 2, MINUTE))
    .advanceProcessingTime("10m")
    .addElements(event("redTwo", 5, 3 * MINUTE))
    .advanceProcessingTime("12m")
    .addElements(event("blueTwo", 3, 22 * S))
    .advanceProcessingTime("10m")
    .addElements(event("redOne", 4, 4 * MINUTE), event("blueTwo", 2, 2 * MINUTE))
    .advanceWatermarkToInfinity();
}

/** Values stamped into 15-second windows from a bounded source, with lateness allowed (nothing can come late): one line per pane. */
function boundedLateness(out: string): Pipeline {
  const p = new Pipeline();
  p.apply("Values", create([{ v: "a", at: 1 * S }, { v: "b", at: 3 * S }, { v: "c", at: 17 * S }]))
    .apply("Stamp", withTimestamps<{ v: string; at: number }>("at"))
    .apply("Windows", windowInto(fixedWindows(15 * S), { allowedLateness: 60 * S }))
    .apply("Key", map((x: { v: string }) => ({ key: "k", value: x.v })))
    .apply("Group", groupByKey<string, string>())
    .apply("Format", map((g: { key: string; values: string[] }, info: ElementInfo) => `${pane(info)} ${g.key} [${[...g.values].sort().join(",")}]`))
    .apply("Write", writeText(out));
  return p;
}

/** One scenario: its name, whether it advances processing time, and its pipeline writing to `out`. */
export interface Scenario {
  readonly name: string;
  readonly processingTime: boolean;
  readonly build: (out: string) => Pipeline;
}

/** The scenarios, in a fixed order. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: "on-time",
    processingTime: false,
    build: (out) =>
      teamScores(
        testStream<GameAction>()
          .advanceWatermarkTo(0)
          .addElements(event("blueOne", 3, 3 * S), event("blueOne", 2, MINUTE), event("redTwo", 3, 22 * S), event("blueTwo", 5, 3 * MINUTE))
          .advanceWatermarkTo(3 * MINUTE)
          .addElements(event("redOne", 1, 4 * MINUTE), event("blueOne", 2, 270 * S))
          .advanceWatermarkToInfinity(),
        out,
      ),
  },
  {
    name: "speculative",
    processingTime: true,
    build: (out) => teamScores(speculativeEvents(), out),
  },
  {
    name: "unobservably-late",
    processingTime: false,
    build: (out) =>
      teamScores(
        testStream<GameAction>()
          .advanceWatermarkTo(0)
          .addElements(event("blueOne", 3, 3 * S), event("blueTwo", 5, 8 * MINUTE), event("redOne", 4, 2 * MINUTE), event("blueOne", 3, 5 * MINUTE))
          .advanceWatermarkTo(TEAM_WINDOW - MINUTE)
          .addElements(event("redTwo", 2, 0), event("redTwo", 5, MINUTE), event("blueTwo", 2, 90 * S), event("redTwo", 3, 3 * MINUTE))
          .advanceWatermarkTo(TEAM_WINDOW + MINUTE)
          .advanceWatermarkToInfinity(),
        out,
      ),
  },
  {
    name: "observably-late",
    processingTime: true,
    build: (out) =>
      teamScores(
        testStream<GameAction>()
          .advanceWatermarkTo(0)
          .addElements(event("blueOne", 3, 3 * S), event("blueTwo", 5, 8 * MINUTE))
          .advanceProcessingTime("10m")
          .advanceWatermarkTo(3 * MINUTE)
          .addElements(event("redOne", 3, MINUTE), event("redOne", 4, 2 * MINUTE), event("blueOne", 3, 5 * MINUTE))
          .advanceWatermarkTo(HOUR + TEAM_WINDOW - MINUTE)
          .addElements(event("redTwo", 2, 0), event("redTwo", 5, MINUTE), event("redTwo", 3, 3 * MINUTE))
          .advanceProcessingTime("12m")
          .addElements(event("redTwo", 9, MINUTE), event("redTwo", 1, 3 * MINUTE))
          .advanceWatermarkToInfinity(),
        out,
      ),
  },
  {
    name: "droppably-late",
    processingTime: false,
    build: (out) =>
      teamScores(
        testStream<GameAction>()
          .addElements(event("blueOne", 12, 0), event("redOne", 3, 0))
          .advanceWatermarkTo(TEAM_WINDOW - 1)
          .addElements(event("redOne", 4, 2 * MINUTE), event("blueTwo", 3, 0), event("blueOne", 3, 3 * MINUTE))
          .advanceWatermarkTo(TEAM_WINDOW)
          .advanceWatermarkTo(HOUR + TEAM_WINDOW + MINUTE)
          .addElements(event("blueTwo", 3, TEAM_WINDOW - 5 * S), event("redOne", 7, 4 * MINUTE))
          .advanceWatermarkToInfinity(),
        out,
      ),
  },
  {
    name: "early-count-discarding",
    processingTime: false,
    build: (out) =>
      grouped(
        earlyCountEvents(),
        { trigger: afterWatermark({ early: afterCount(1) }), accumulation: "discarding" },
        out,
      ),
  },
  {
    name: "late-data-default-trigger",
    processingTime: false,
    build: (out) =>
      grouped(
        lateDataEvents(),
        { allowedLateness: 280 * S },
        out,
      ),
  },
  {
    name: "early-count-accumulating",
    processingTime: false,
    build: (out) => grouped(
        earlyCountEvents(),
        { trigger: afterWatermark({ early: afterCount(1) }), accumulation: "accumulating" },
        out,
      ),
  },
  {
    name: "early-count-discarding-if-nonempty",
    processingTime: false,
    build: (out) => grouped(
        earlyCountEvents(),
        { trigger: afterWatermark({ early: afterCount(1) }), accumulation: "discarding", onTimeBehavior: "fireIfNonEmpty" },
        out,
      ),
  },
  {
    name: "early-count-accumulating-if-nonempty",
    processingTime: false,
    build: (out) => grouped(earlyCountEvents(), { trigger: afterWatermark({ early: afterCount(1) }), accumulation: "accumulating", onTimeBehavior: "fireIfNonEmpty" }, out),
  },
  {
    name: "speculative-no-lateness",
    processingTime: true,
    build: (out) => teamScores(speculativeEvents(), out, 0),
  },
  {
    name: "bounded-lateness",
    processingTime: false,
    build: boundedLateness,
  },
  {
    name: "default-fire-always",
    processingTime: false,
    build: (out) => grouped(earlyCountEvents(), { onTimeBehavior: "fireAlways" }, out),
  },
  {
    name: "late-data-dropped",
    processingTime: false,
    build: (out) => grouped(
        lateDataEvents(),
        {},
        out,
      ),
  },
];

/** Where a scenario writes, under `dir`. */
export function scenarioOutput(dir: string, name: string): string {
  return path.join(dir, name);
}
