import * as path from "node:path";
import { BeamlineError, buildPipeline, create, Pipeline, PipelineConstructionError } from "beamline";
import { pipelineSpec } from "../../../../runners/direct/parallel/bootstrap";
import { startWorkers } from "../../../../runners/direct/parallel/pool";
import { numbers, threadDependent } from "./pipelines";

describe("worker bootstrap", () => {
  test("definePipeline records its module, and buildPipeline its option values", () => {
    expect(numbers.source).toEqual({ file: path.join(__dirname, "pipelines.ts"), ordinal: 0 });
    expect(threadDependent.source!.ordinal).toBe(1);
    const spec = pipelineSpec(buildPipeline(numbers, { count: 5 }));
    expect(spec).toMatchObject({ file: numbers.source!.file, ordinal: 0, values: { count: 5 } });
  });

  test("a pipeline not built from a definition has no spec, with the reason", () => {
    const p = new Pipeline();
    p.apply(create([{ a: 1 }]));
    expect((pipelineSpec(p) as { reason: string }).reason).toMatch(/not built from a definition/);
  });

  test("workers rebuild the pipeline from its module and check the fingerprint", async () => {
    const p = buildPipeline(numbers, { count: 7 });
    const spec = pipelineSpec(p);
    if ("reason" in spec) throw new Error(spec.reason);
    const workers = await startWorkers(spec, 2);
    expect(workers).toHaveLength(2);
    await Promise.all(workers.map((w) => w.thread.terminate()));
  });

  test("a construction that differs in the worker fails with a clear error", async () => {
    const spec = pipelineSpec(buildPipeline(threadDependent, {}));
    if ("reason" in spec) throw new Error(spec.reason);
    const err = await startWorkers(spec, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineConstructionError);
    expect((err as BeamlineError).code).toBe("BL_NONDETERMINISTIC_PIPELINE");
    expect((err as BeamlineError).message).toMatch(/not deterministic/);
  });

  test("different option values in a worker are caught by the fingerprint", async () => {
    const spec = pipelineSpec(buildPipeline(numbers, { count: 7 }));
    if ("reason" in spec) throw new Error(spec.reason);
    const err = await startWorkers({ ...spec, values: { count: 8 } }, 1).catch((e: unknown) => e);
    expect((err as BeamlineError).code).toBe("BL_NONDETERMINISTIC_PIPELINE");
  });
});
