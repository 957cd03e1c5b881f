/**
 * Beam Java's own word count (`org.apache.beam.examples.WordCount` from
 * `org.apache.beam:beam-examples-java`, unchanged) on an embedded Flink through Beam's classic
 * FlinkRunner: the same Beam release and the same Flink as Beamline's Flink job server, whose classpath
 * (resolved from Maven Central, see runners/flink/flink.ts) it shares; only the examples jar is added.
 * The JVM is the measured process: its wall-clock time, its peak RSS, and the Flink job's own
 * running time read from its log.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureFlinkJobServer, FLINK_JOB_SERVER_BEAM_VERSION, JAVA_OPENS } from "../runners/flink/flink";
import { cacheDir, mavenJar } from "../runners/portable/provision/cache";
import { Impl } from "./measure";
import { watchPeakRss } from "./process-peak";

/** The examples jar of the job server's Beam release. */
export const BEAM_EXAMPLES = `org.apache.beam:beam-examples-java:${FLINK_JOB_SERVER_BEAM_VERSION}`;

/** The classpath: the Flink job server's (Beam's Flink runner for Flink 1.19 and its dependencies) and the examples jar. */
export function wordCountClasspath(): string[] {
  return [mavenJar(BEAM_EXAMPLES, cacheDir(`beam-examples-java-${FLINK_JOB_SERVER_BEAM_VERSION}`)), ...ensureFlinkJobServer()];
}

/** The JVM option that prefixes each slf4j-simple log line with the ms since the logger started. */
export const LOG_TIMES = "-Dorg.slf4j.simpleLogger.showDateTime=true";

/**
 * When the Flink job of a run went from CREATED to RUNNING and from RUNNING to FINISHED, in ms since
 * the JVM's logger started: slf4j-simple with `showDateTime` prefixes each line with those ms.
 */
export function flinkJobTimes(log: string): { runningAtMs: number; finishedAtMs: number } | undefined {
  const at = (from: string, to: string) => {
    const m = new RegExp(`^(\\d+) .*ExecutionGraph - Job \\S+ \\([0-9a-f]+\\) switched from state ${from} to ${to}\\.`, "m").exec(log);
    return m ? Number(m[1]) : undefined;
  };
  const runningAtMs = at("CREATED", "RUNNING");
  const finishedAtMs = at("RUNNING", "FINISHED");
  return runningAtMs === undefined || finishedAtMs === undefined ? undefined : { runningAtMs, finishedAtMs };
}

/**
 * Beam Java's WordCount on an embedded Flink (`--flinkMaster=[local]`) at the measurement's
 * parallelism, writing `word: count` lines under `outDir`. Beam's word count keeps case (words are
 * runs of letters, `[^\p{L}]+` splits), so its output is checked case-folded (see folded-word-counts.ts).
 */
export const beamJavaFlink: Impl = async ({ input, outDir, rows, parallelism }) => {
  const log = path.join(outDir, ".java.log");
  const args = [
    ...JAVA_OPENS,
    LOG_TIMES,
    "-cp", wordCountClasspath().join(path.delimiter),
    "org.apache.beam.examples.WordCount",
    "--runner=FlinkRunner", "--flinkMaster=[local]", `--parallelism=${parallelism ?? 1}`,
    `--inputFile=${input}`, `--output=${path.join(outDir, "wordcount")}`,
  ];
  const out = fs.openSync(log, "w");
  const started = process.hrtime.bigint();
  const java = spawn("java", args, { stdio: ["ignore", out, out] });
  fs.closeSync(out);
  const peak = java.pid === undefined ? null : watchPeakRss(java.pid);
  const code = await new Promise<number | null>((resolve, reject) => {
    java.once("error", reject);
    java.once("exit", (c) => resolve(c));
  });
  const jvm = peak?.stop() ?? { peakRssMB: 0, cpuSeconds: 0 };
  const jvmSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const text = fs.readFileSync(log, "utf8");
  if (code !== 0) throw new Error(`bench: Beam Java's WordCount exited with code ${code}:\n${text.split("\n").filter(Boolean).slice(-15).join("\n")}`);
  const job = flinkJobTimes(text);
  return {
    rows,
    peakRssMB: jvm.peakRssMB,
    report: {
      jvmSeconds: round(jvmSeconds),
      jvmCpuSeconds: jvm.cpuSeconds,
      ...(job ? { startupSeconds: round(job.runningAtMs / 1000), runningSeconds: round((job.finishedAtMs - job.runningAtMs) / 1000) } : {}),
    },
  };
};

const round = (x: number) => Math.round(x * 1000) / 1000;
