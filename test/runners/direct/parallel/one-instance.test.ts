/** A run at parallelism 1 is a parallel run with one instance: the same restarts, checkpoints and results. */
import { BeamlineError, collect, create, DirectRunner, parDo, Pipeline } from "beamline";
import { restartStrategy } from "../../../../runners/direct/parallel/restart";
import { sorted, tempDir } from "../../../helpers";

/** A pipeline built in the test (no module file: no worker could rebuild it) whose DoFn fails once, retriably. */
function failsOnce(): { p: Pipeline; out: ReturnType<typeof collect<number>>; attempts: () => number } {
  let attempts = 0;
  let failed = false;
  const p = new Pipeline();
  const doubled = p.apply(create([1, 2, 3, 4, 5])).apply(
    "Double",
    parDo<number, number>({
      setup: () => void attempts++,
      process: (x, ctx) => {
        if (x === 3 && !failed) {
          failed = true;
          throw new BeamlineError({ code: "BL_TEST_FLAKY", domain: "external", retriable: true, value: x, rule: "the service was briefly away", fix: "retry" });
        }
        ctx.output(x * 10);
      },
    }),
  );
  return { p, out: collect(doubled), attempts: () => attempts };
}

describe("a run of one instance", () => {
  test("restarts under its restart strategy as a parallel run does, and commits only the attempt that succeeded", async () => {
    const { p, out, attempts } = failsOnce();
    const r = await new DirectRunner({ parallelism: 1, restartStrategy: restartStrategy("fixed-delay", 2, 10) }).run(p);
    expect(r.parallelism).toBe(1);
    expect(r.restarts).toBe(1);
    expect(attempts()).toBe(2);
    expect(sorted(out.rows)).toEqual([10, 20, 30, 40, 50]);
  });

  test("checkpointed, a restart restores from the run's checkpoints the way a parallel run's does", async () => {
    const { p, out } = failsOnce();
    const r = await new DirectRunner({ parallelism: 1, restartStrategy: restartStrategy("fixed-delay", 1, 10), checkpoint: { dir: tempDir(), intervalMs: 50 } }).run(p);
    expect(r.restarts).toBe(1);
    expect(r.checkpoints?.restartedFrom).toHaveLength(1);
    expect(sorted(out.rows)).toEqual([10, 20, 30, 40, 50]);
  });

  test("without a restart strategy, the failure fails the run", async () => {
    const { p } = failsOnce();
    const err = await new DirectRunner({ parallelism: 1 }).run(p).catch((e: unknown) => e);
    expect((err as BeamlineError).code).toBe("BL_TEST_FLAKY");
  });
});
