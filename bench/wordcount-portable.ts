/**
 * Word count on Beamline's portable runners: `examples/wordcount.ts` built as on the direct runner,
 * submitted to Prism or to Beam's Flink job server with an embedded Flink (`[local]`), Beamline's SDK
 * harness serving it from this process (LOOPBACK). The job service is started by the measurement and
 * counted in it (as Beam Java's run counts its JVM and its embedded Flink); its start, the submission
 * and the job's running time are reported apart.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import wordcount from "../examples/wordcount";
import { buildPipeline } from "../sdk/definition";
import { startFlinkJobServer } from "../runners/flink/flink";
import { startPrism } from "../runners/prism/prism";
import type { JobService } from "../runners/portable/launch";
import { PortableRunner } from "../runners/portable/runner";
import { Impl } from "./measure";
import { watchPeakRss } from "./process-peak";
import { flinkJobTimes, LOG_TIMES } from "./wordcount-java";

const round = (x: number) => Math.round(x * 1000) / 1000;
const now = () => Number(process.hrtime.bigint()) / 1e9;

/**
 * Runs the word count on the job service `start` starts (logging into `logFile`); the service is
 * stopped after. `flinkLog`: the service is Beam's Flink job server, whose log gives the Flink job's own
 * times as Beam Java's does (see wordcount-java.ts).
 */
function onJobService(runner: "prism" | "flink", start: (logFile: string) => Promise<JobService>): Impl {
  return async ({ input, outDir, rows, parallelism }) => {
    const begun = now();
    const logFile = path.join(outDir, `.${runner}.log`);
    const service = await start(logFile);
    const servicePeak = service.child.pid === undefined ? null : watchPeakRss(service.child.pid);
    const serviceStarted = now();
    let runningAt = NaN;
    let jobDone = NaN;
    let jobService = { peakRssMB: 0, cpuSeconds: 0 };
    try {
      const p = buildPipeline(wordcount, { input, output: path.join(outDir, "wordcount"), shards: 1 });
      await new PortableRunner({
        jobEndpoint: service.jobEndpoint,
        runnerName: runner,
        pipelineOptions: runner === "flink" ? { parallelism: parallelism ?? 1 } : {},
        onState: (state) => {
          if (state === "RUNNING" && Number.isNaN(runningAt)) runningAt = now();
        },
      }).run(p);
      jobDone = now();
    } finally {
      jobService = servicePeak?.stop() ?? jobService;
      await service.stop();
    }
    const harnessRssMB = process.resourceUsage().maxRSS / 1024;
    return {
      rows,
      // The work ran in two processes: the job service (and Flink inside it) and this one (the SDK harness).
      peakRssMB: harnessRssMB + jobService.peakRssMB,
      report: {
        jobServiceStartSeconds: round(serviceStarted - begun),
        // From before the job service starts until the job runs (by the Job API); then until it is done (the service's stop is in neither).
        ...(Number.isNaN(runningAt) ? {} : { startupSeconds: round(runningAt - begun), runningSeconds: round(jobDone - runningAt) }),
        // Flink's job server says RUNNING before it starts Flink: there both are the Flink job's own, read as Beam Java's are.
        ...flinkTimes(runner, logFile),
        ...(Number.isNaN(runningAt) ? {} : { jobApiRunningSeconds: round(jobDone - runningAt) }),
        harnessRssMB: Math.round(harnessRssMB * 10) / 10,
        jobServiceRssMB: Math.round(jobService.peakRssMB * 10) / 10,
        // The CPU time of the job service (Prism, or the JVM with Flink), beside the child's own `cpuSeconds` (the SDK harness).
        jobServiceCpuSeconds: jobService.cpuSeconds,
      },
    };
  };
}

/**
 * On Flink, from the job server's log: seconds from its start (this measurement's start, within the
 * spawn) until its Flink job was RUNNING, and until that job FINISHED.
 */
function flinkTimes(runner: string, logFile: string): Record<string, number> {
  const job = runner === "flink" ? flinkJobTimes(fs.readFileSync(logFile, "utf8")) : undefined;
  return job ? { startupSeconds: round(job.runningAtMs / 1000), runningSeconds: round((job.finishedAtMs - job.runningAtMs) / 1000) } : {};
}

/** Beamline on Prism. */
export const beamlinePrism: Impl = onJobService("prism", (logFile) => startPrism({ logFile }));

/** Beamline on an embedded Flink through Beam's Flink job server, at the measurement's parallelism; its log lines carry ms since its start. */
export const beamlineFlink: Impl = onJobService("flink", (logFile) => {
  process.env.JAVA_TOOL_OPTIONS = [process.env.JAVA_TOOL_OPTIONS, LOG_TIMES].filter(Boolean).join(" ");
  return startFlinkJobServer({ flinkMaster: "[local]", logFile });
});
