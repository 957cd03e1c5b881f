/**
 * Beam's LeaderBoardTest (examples/java/src/test/java/org/apache/beam/examples/complete/game/LeaderBoardTest.java),
 * test by test, with Beam's expected values, on the direct runner. The pipelines with their
 * assertions are in ./scenarios/leaderboard.ts (the portable integration suite runs the same ones on
 * Prism). `testLeaderBoardOptions` (Java pipeline options) does not apply.
 */
import { runPipeline } from "beamline";
import { DROPPABLY_LATE, LEADERBOARD } from "./scenarios/leaderboard";

for (const s of LEADERBOARD.filter((x) => x !== DROPPABLY_LATE)) {
  test(`${s.name} (${s.beam})`, async () => {
    await runPipeline(s.build());
  });
}

test(`${DROPPABLY_LATE.name}, and counted (${DROPPABLY_LATE.beam})`, async () => {
  const result = await runPipeline(DROPPABLY_LATE.build());
  const dropped = [...result.metrics.counters.values()].reduce((n, m) => n + (m.get("droppedLateRows") ?? 0), 0);
  expect(dropped).toBe(2);
});
