/**
 * Beam's LeaderBoardTest (examples/java/src/test/java/org/apache/beam/examples/complete/game/LeaderBoardTest.java)
 * as pipelines with Beam's expected values, one per Java test. CalculateTeamScores: per-team score
 * sums in fixed 20-minute windows, early firings 5 minutes (processing time) after the first element
 * of a pane, late firings 10 minutes after, allowed lateness 1 hour, accumulating panes.
 * CalculateUserScores: per-user sums in the global window, fired 10 minutes (processing time) after
 * the first element of each pane, accumulating.
 */
import {
  afterProcessingTime,
  afterWatermark,
  assertThat,
  combinePerKey,
  fixedWindows,
  intervalWindow,
  map,
  Pipeline,
  repeatedly,
  thatMap,
  globalWindows,
  PCollection,
  sum,
  testStream,
  timestamped,
  TestStream,
  windowInto,
} from "beamline";
import type { SemanticsScenario } from "./scenario";

interface GameAction {
  user: string;
  team: string;
  score: number;
  timestamp: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const TEAM_WINDOW = 20 * MINUTE;
const LATENESS = HOUR;
/** LeaderBoardTest's players: user and team. */
export const users = {
  redOne: ["scarlet", "red"],
  redTwo: ["burgundy", "red"],
  blueOne: ["navy", "blue"],
  blueTwo: ["sky", "blue"],
} as const;

function event(who: keyof typeof users, score: number, offsetMs: number) {
  const [user, team] = users[who];
  return timestamped<GameAction>({ user, team, score, timestamp: offsetMs }, offsetMs);
}

/** The team-score computation under test. */
function teamScores(p: Pipeline, events: TestStream<GameAction>): PCollection<{ key: string; value: number }> {
  return p
    .apply(events)
    .apply(
      windowInto(fixedWindows(TEAM_WINDOW), {
        trigger: afterWatermark({ early: afterProcessingTime("5m"), late: afterProcessingTime("10m") }),
        allowedLateness: LATENESS,
        accumulation: "accumulating",
      }),
    )
    .apply(map((e: GameAction) => ({ key: e.team, value: e.score })))
    .apply(combinePerKey(sum()));
}

const window = intervalWindow(0, TEAM_WINDOW);
const kv = (key: string, value: number) => ({ key, value });

function onTime(): Pipeline {
  const p = new Pipeline();
  const scores = teamScores(
    p,
    testStream<GameAction>()
      .advanceWatermarkTo(0)
      .addElements(event("blueOne", 3, 3_000), event("blueOne", 2, MINUTE), event("redTwo", 3, 22_000), event("blueTwo", 5, 3 * MINUTE))
      .advanceWatermarkTo(3 * MINUTE)
      .addElements(event("redOne", 1, 4 * MINUTE), event("blueOne", 2, 270_000))
      .advanceWatermarkToInfinity(),
  );
  assertThat(scores).inOnTimePane(window).containsInAnyOrder([kv("blue", 12), kv("red", 4)]);
  assertThat(scores).inWindow(window).containsInAnyOrder([kv("blue", 12), kv("red", 4)]);
  return p;
}

function speculative(): Pipeline {
  const p = new Pipeline();
  const scores = teamScores(
    p,
    testStream<GameAction>()
      .advanceWatermarkTo(0)
      .addElements(event("blueOne", 3, 3_000), event("blueOne", 2, MINUTE))
      .advanceProcessingTime("10m")
      .addElements(event("redTwo", 5, 3 * MINUTE))
      .advanceProcessingTime("12m")
      .addElements(event("blueTwo", 3, 22_000))
      .advanceProcessingTime("10m")
      .addElements(event("redOne", 4, 4 * MINUTE), event("blueTwo", 2, 2 * MINUTE))
      .advanceWatermarkToInfinity(),
  );
  assertThat(scores)
    .inWindow(window)
    .containsInAnyOrder([kv("blue", 10), kv("red", 9), kv("blue", 5), kv("blue", 8), kv("red", 5)]);
  assertThat(scores).inOnTimePane(window).containsInAnyOrder([kv("blue", 10), kv("red", 9)]);
  assertThat(scores).inEarlyPanes(window).containsInAnyOrder([kv("blue", 5), kv("blue", 8), kv("red", 5)]);
  return p;
}

function unobservablyLate(): Pipeline {
  const p = new Pipeline();
  const scores = teamScores(
    p,
    testStream<GameAction>()
      .advanceWatermarkTo(0)
      .addElements(event("blueOne", 3, 3_000), event("blueTwo", 5, 8 * MINUTE), event("redOne", 4, 2 * MINUTE), event("blueOne", 3, 5 * MINUTE))
      .advanceWatermarkTo(TEAM_WINDOW - MINUTE)
      .addElements(event("redTwo", 2, 0), event("redTwo", 5, MINUTE), event("blueTwo", 2, 90_000), event("redTwo", 3, 3 * MINUTE))
      .advanceWatermarkTo(TEAM_WINDOW + MINUTE)
      .advanceWatermarkToInfinity(),
  );
  assertThat(scores).inOnTimePane(window).containsInAnyOrder([kv("red", 14), kv("blue", 13)]);
  return p;
}

function observablyLate(): Pipeline {
  const firstWindowCloses = LATENESS + TEAM_WINDOW;
  const p = new Pipeline();
  const scores = teamScores(
    p,
    testStream<GameAction>()
      .advanceWatermarkTo(0)
      .addElements(event("blueOne", 3, 3_000), event("blueTwo", 5, 8 * MINUTE))
      .advanceProcessingTime("10m")
      .advanceWatermarkTo(3 * MINUTE)
      .addElements(event("redOne", 3, MINUTE), event("redOne", 4, 2 * MINUTE), event("blueOne", 3, 5 * MINUTE))
      .advanceWatermarkTo(firstWindowCloses - MINUTE)
      .addElements(event("redTwo", 2, 0), event("redTwo", 5, MINUTE), event("redTwo", 3, 3 * MINUTE))
      .advanceProcessingTime("12m")
      .addElements(event("redTwo", 9, MINUTE), event("redTwo", 1, 3 * MINUTE))
      .advanceWatermarkToInfinity(),
  );
  assertThat(scores)
    .inWindow(window)
    .satisfies((rows) => {
      const has = (k: string, v: number) => rows.some((r) => r.key === k && r.value === v);
      if (!has("blue", 11) || !has("red", 27)) throw new Error(`final sums blue 11 and red 27 missing from ${JSON.stringify(rows)}`);
    }, "final sums present");
  thatMap(scores).inOnTimePane(window).isEqualTo({ red: 7, blue: 11 });
  // No final pane for the blue team: all its updates were in earlier panes.
  assertThat(scores).inFinalPane(window).containsInAnyOrder([kv("red", 27)]);
  assertThat(scores).inLatePanes(window).containsInAnyOrder([kv("red", 17), kv("red", 27)]);
  return p;
}

function droppablyLate(): Pipeline {
  const p = new Pipeline();
  const scores = teamScores(
    p,
    testStream<GameAction>()
      .addElements(event("blueOne", 12, 0), event("redOne", 3, 0))
      .advanceWatermarkTo(TEAM_WINDOW - 1)
      .addElements(event("redOne", 4, 2 * MINUTE), event("blueTwo", 3, 0), event("blueOne", 3, 3 * MINUTE))
      .advanceWatermarkTo(TEAM_WINDOW)
      .advanceWatermarkTo(LATENESS + TEAM_WINDOW + MINUTE)
      .addElements(event("blueTwo", 3, TEAM_WINDOW - 5_000), event("redOne", 7, 4 * MINUTE))
      .advanceWatermarkToInfinity(),
  );
  assertThat(scores).inWindow(window).containsInAnyOrder([kv("red", 7), kv("blue", 18)]);
  assertThat(scores).inFinalPane(window).empty();
  return p;
}

function userScores(): Pipeline {
  const p = new Pipeline();
  const infos = testStream<GameAction>()
    .addElements(event("blueOne", 12, 0), event("redOne", 3, 0))
    .advanceProcessingTime("7m")
    .addElements(event("redOne", 4, 2 * MINUTE), event("blueTwo", 3, 0), event("blueOne", 3, 3 * MINUTE))
    .advanceProcessingTime("5m")
    .advanceWatermarkTo(LATENESS + 12 * HOUR)
    // Late elements are always observable within the global window.
    .addElements(event("redOne", 3, 7 * MINUTE), event("redOne", 2, LATENESS + 13 * HOUR))
    .advanceProcessingTime("6m")
    .addElements(event("blueTwo", 5, 12 * MINUTE))
    .advanceProcessingTime("20m")
    .advanceWatermarkToInfinity();
  const scores = p
    .apply(infos)
    .apply(windowInto(globalWindows(), { trigger: repeatedly(afterProcessingTime("10m")), accumulation: "accumulating", allowedLateness: LATENESS }))
    .apply(map((e: GameAction) => ({ key: e.user, value: e.score })))
    .apply(combinePerKey(sum()));
  // Early panes only: the pane the watermark reaching +infinity fires does not occur outside tests.
  assertThat(scores)
    .inEarlyGlobalWindowPanes()
    .containsInAnyOrder([kv("navy", 15), kv("scarlet", 7), kv("scarlet", 12), kv("sky", 3), kv("sky", 8)]);
  return p;
}

/** LeaderBoardTest.testTeamScoresDroppablyLate: its run also counts the two droppably late rows. */
export const DROPPABLY_LATE: SemanticsScenario = {
  name: "droppably late: data past the allowed lateness is dropped",
  beam: "LeaderBoardTest.testTeamScoresDroppablyLate",
  build: droppablyLate,
};

/** Every LeaderBoardTest scenario. */
export const LEADERBOARD: readonly SemanticsScenario[] = [
  { name: "on time: one on-time pane per team", beam: "LeaderBoardTest.testTeamScoresOnTime", build: onTime },
  { name: "speculative: early panes as processing time passes, then the on-time pane", beam: "LeaderBoardTest.testTeamScoresSpeculative", build: speculative },
  { name: "unobservably late: data behind the watermark but before the window's end is on time", beam: "LeaderBoardTest.testTeamScoresUnobservablyLate", build: unobservablyLate },
  { name: "observably late: late panes after the on-time pane, a final pane for the team with new data", beam: "LeaderBoardTest.testTeamScoresObservablyLate", build: observablyLate },
  DROPPABLY_LATE,
  { name: "user scores: speculative panes in the global window take every element, late or not", beam: "LeaderBoardTest.testUserScore", build: userScores },
];
