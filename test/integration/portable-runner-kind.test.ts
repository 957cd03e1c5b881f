/**
 * What a portable run does follows the runner behind the job service, never the name it was started
 * under: Beam's Flink job server reached as `--runner=portable` gives the direct runner's TestStream
 * panes (strings without length bytes, a droppably late element dropped), as `--runner=flink` does.
 * Beamline's checkpoint and restart settings reach Flink's job, and Prism refuses them before
 * submission instead of ignoring them.
 */
import * as path from "node:path";
import { runPipeline } from "beamline";
import { main } from "../../runners/cli";
import { PortableRunner } from "../../runners/portable/runner";
import { tempDir } from "../helpers";
import { outputLines } from "./pipelines";
import { SCENARIOS, scenarioOutput } from "./teststream-pipelines";
import { describeWithFlinkJobServer, describeWithPrism } from "./services";

/** Scenarios Flink runs exactly as the direct runner does; `late-data-dropped` has strings and elements the model drops. */
const EXACT_ON_FLINK = ["early-count-accumulating-if-nonempty", "late-data-dropped"];

describeWithFlinkJobServer("a Flink job server reached as the portable runner", (server) => {
  test("TestStream scenarios give the direct runner's panes, as under the flink name", async () => {
    for (const name of EXACT_ON_FLINK) {
      const s = SCENARIOS.find((x) => x.name === name)!;
      const direct = tempDir();
      await runPipeline(s.build(scenarioOutput(direct, s.name)));
      const dir = tempDir();
      await runPipeline(s.build(scenarioOutput(dir, s.name)), { runner: "portable", jobEndpoint: server().jobEndpoint });
      const got = outputLines(dir, s.name);
      expect(got.join("\n")).not.toContain("\u0001");
      expect([name, got]).toEqual([name, outputLines(direct, s.name)]);
    }
  }, 240_000);

  test("restart strategies Flink cannot follow are refused before submission", async () => {
    const EXACT = SCENARIOS.find((x) => x.name === EXACT_ON_FLINK[0])!;
    const e = await new PortableRunner({ jobEndpoint: server().jobEndpoint, runnerName: "portable", restart: { kind: "exponential-backoff", attempts: 3, delayMs: 100 } })
      .run(EXACT.build(scenarioOutput(tempDir(), EXACT.name)))
      .then(() => null, (x: unknown) => x as { code?: string; message: string });
    expect(e?.code).toBe("BL_UNSUPPORTED_RUN_OPTION");
    expect(e?.message).toContain("fixed-delay");
  }, 60_000);
});

describeWithPrism("Prism and Beamline's checkpoint and restart settings", (prism) => {
  test("--checkpoint-dir and --restart-strategy are refused with the reason, and nothing runs", async () => {
    for (const flag of [`--checkpoint-dir=${tempDir()}`, "--restart-strategy=fixed-delay"]) {
      const dir = tempDir();
      const err: string[] = [];
      const code = await main(
        ["run", path.join(__dirname, "../../examples/wordcount.ts"), "--runner=prism", `--job-endpoint=${prism().jobEndpoint}`, flag, `--output=${path.join(dir, "counts")}`],
        { out: () => {}, err: (t) => err.push(t) },
      );
      expect([flag, code]).toEqual([flag, 1]);
      expect(err.join("\n")).toContain("BL_UNSUPPORTED_RUN_OPTION");
      expect(outputLines(dir, "counts")).toEqual([]);
    }
  }, 120_000);
});
