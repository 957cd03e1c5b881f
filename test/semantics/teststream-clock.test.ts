/**
 * Several TestStreams in one pipeline share the direct runner's simulated processing-time clock;
 * a tagged TestStream's outputs each have their own watermark. The pipelines with their assertions
 * are in ./scenarios/teststream-clock.ts (the portable integration suite runs the same ones on Prism).
 */
import { runPipeline } from "beamline";
import { DETERMINISTIC_CLOCK, TESTSTREAM_CLOCK } from "./scenarios/teststream-clock";

for (const s of TESTSTREAM_CLOCK.filter((x) => x !== DETERMINISTIC_CLOCK)) {
  test(s.name, async () => {
    await runPipeline(s.build());
  });
}

test(`${DETERMINISTIC_CLOCK.name}: three runs`, async () => {
  for (let i = 0; i < 3; i++) await runPipeline(DETERMINISTIC_CLOCK.build());
});
