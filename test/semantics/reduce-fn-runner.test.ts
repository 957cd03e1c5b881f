/**
 * Beam's Java ReduceFnRunnerTest (runners/core-java/src/test/java/org/apache/beam/runners/core/
 * ReduceFnRunnerTest.java) on the direct runner, with Beam's expected panes. The pipelines with their
 * assertions are in ./scenarios/reduce-fn-runner.ts (the portable integration suite runs the same ones
 * on Prism).
 */
import { runPipeline } from "beamline";
import { REDUCE_FN_RUNNER } from "./scenarios/reduce-fn-runner";

for (const s of REDUCE_FN_RUNNER) {
  test(`${s.name} (${s.beam})`, async () => {
    await runPipeline(s.build());
  });
}
