/**
 * Apache Flink through Beam's Flink job server: the job server (Beam's Flink runner for the chosen
 * Flink version, see {@link FLINK_VERSIONS}, resolved from Maven Central with its dependencies into the
 * cache) runs on a free loopback port, against an embedded Flink (`[local]`, the default) or a Flink
 * session cluster (`host:port` of its JobManager's REST endpoint). A real session cluster (JobManager and
 * TaskManager processes) runs from the same Flink version's jars, see {@link startFlinkCluster}.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { OptionError } from "../../sdk/errors";
import { cacheDir, hasCommand, mavenClasspath, ProvisioningError } from "../portable/provision/cache";
import { freePort, Service, startService, waitForPort } from "../portable/provision/process";

/**
 * The Beam release of the job server: the newest at which Beam's Flink runner resolves from the Maven
 * repository Beamline provisions from (the protos and Prism are newer, see `BEAM_VERSION`).
 */
export const FLINK_JOB_SERVER_BEAM_VERSION = "2.62.0";
/**
 * The Flink versions (minor releases) Beamline starts a job server for. Beam publishes its Flink runner
 * once per Flink minor (`beam-runners-flink-<minor>`); at {@link FLINK_JOB_SERVER_BEAM_VERSION} the
 * Maven repository Beamline provisions from serves it for Flink 1.19 only (which runs Flink 1.19.0).
 */
export const FLINK_VERSIONS = ["1.19"] as const;
/** The Flink version used when none is asked for. */
export const DEFAULT_FLINK_VERSION: string = FLINK_VERSIONS[FLINK_VERSIONS.length - 1];

/** Checks that Beamline can start a job server for `flinkVersion` (a Flink minor such as `1.19`); returns it. */
export function checkFlinkVersion(flinkVersion: string): string {
  if ((FLINK_VERSIONS as readonly string[]).includes(flinkVersion)) return flinkVersion;
  throw new OptionError({
    code: "BL_FLINK_VERSION_UNAVAILABLE",
    value: flinkVersion,
    where: "--flink-version",
    rule: `Beamline starts Beam ${FLINK_JOB_SERVER_BEAM_VERSION}'s Flink job server, which it can provision for Flink ${FLINK_VERSIONS.join(", ")} only`,
    fix: `ask for Flink ${DEFAULT_FLINK_VERSION} (the default: --flink-version=${DEFAULT_FLINK_VERSION}, or flinkVersion: "${DEFAULT_FLINK_VERSION}" in code), or start a job server for Flink ${flinkVersion} yourself and pass its --job-endpoint without --flink-version (that job server's Flink is the one that runs)`,
  });
}

/** The module openings Flink needs on Java 17 (as Flink's own scripts pass them). */
export const JAVA_OPENS = [
  "java.base/java.lang", "java.base/java.lang.reflect", "java.base/java.net", "java.base/java.io", "java.base/java.nio",
  "java.base/sun.nio.ch", "java.base/java.text", "java.base/java.time", "java.base/java.util",
  "java.base/java.util.concurrent", "java.base/java.util.concurrent.atomic", "java.base/java.util.concurrent.locks",
].map((m) => `--add-opens=${m}=ALL-UNNAMED`);

function requireJava(what: string): void {
  if (!hasCommand("java")) {
    throw new ProvisioningError({
      code: "BL_TOOL_MISSING",
      domain: "external",
      value: "java",
      rule: `${what} needs Java (17 or newer), which is not on the PATH`,
      fix: "install a JDK and Apache Maven",
    });
  }
}

/** The job server's classpath for a Flink version (jars in the cache), resolved once with Maven. */
export function ensureFlinkJobServer(flinkVersion: string = DEFAULT_FLINK_VERSION): string[] {
  const minor = checkFlinkVersion(flinkVersion);
  return mavenClasspath(cacheDir(`flink-job-server-${FLINK_JOB_SERVER_BEAM_VERSION}-flink-${minor}-v2`), [
    `org.apache.beam:beam-runners-flink-${minor}:${FLINK_JOB_SERVER_BEAM_VERSION}`,
    "org.slf4j:slf4j-simple:1.7.30",
  ]);
}

/** A running Flink job server. */
export interface FlinkJobServer extends Service {
  /** The job endpoint, `127.0.0.1:port`. */
  readonly jobEndpoint: string;
  /** Where jobs run: `[local]` or the session cluster's `host:port`. */
  readonly flinkMaster: string;
}

/** Starts Beam's Flink job server for `flinkVersion` (default {@link DEFAULT_FLINK_VERSION}) on free ports. */
export async function startFlinkJobServer(options: { flinkMaster?: string; flinkVersion?: string; logFile?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<FlinkJobServer> {
  requireJava("the Flink job server");
  const cp = ensureFlinkJobServer(options.flinkVersion);
  const port = await freePort();
  const flinkMaster = options.flinkMaster ?? "[local]";
  const logFile = options.logFile ?? path.join(cacheDir("logs"), `flink-job-server-${port}.log`);
  const svc = startService(
    "flink job server",
    "java",
    [
      ...JAVA_OPENS,
      "-cp",
      cp.join(path.delimiter),
      "org.apache.beam.runners.flink.FlinkJobServerDriver",
      "--job-host=127.0.0.1",
      `--job-port=${port}`,
      "--artifact-port=0",
      "--expansion-port=0",
      `--flink-master=${flinkMaster}`,
      `--artifacts-dir=${cacheDir("flink-job-server-artifacts")}`,
    ],
    logFile,
    options.env,
  );
  try {
    await waitForPort(svc, port, options.timeoutMs ?? 120_000);
  } catch (e) {
    await svc.stop();
    throw e;
  }
  return { ...svc, jobEndpoint: `127.0.0.1:${port}`, flinkMaster };
}

/**
 * The session cluster's classpath: Flink's runtime modules of the Flink version from Maven Central
 * (the same jars the job server embeds) plus Beam's Flink runner, whose operators the TaskManagers run.
 */
export function ensureFlinkClusterClasspath(flinkVersion: string = DEFAULT_FLINK_VERSION): string[] {
  return ensureFlinkJobServer(flinkVersion);
}

/** A running Flink session cluster: a JobManager and a TaskManager process. */
export interface FlinkCluster {
  /** The JobManager's REST endpoint, `127.0.0.1:port` (also what `--flink-master` takes). */
  readonly restEndpoint: string;
  readonly jobManager: Service;
  /** The TaskManager started with the cluster. */
  readonly taskManager: Service;
  /** Starts another TaskManager (one that replaces a killed one: the same ports); resolves once it registered with the JobManager. */
  startTaskManager(): Promise<Service>;
  /** Stops every process of the cluster. */
  stop(): Promise<void>;
}

/**
 * Starts a Flink session cluster: writes a configuration with free
 * loopback ports into a fresh directory, starts the JobManager (standalone session entry point) and a
 * TaskManager as separate JVMs, and waits until the TaskManager has registered.
 */
export async function startFlinkCluster(options: { slots?: number; flinkVersion?: string; timeoutMs?: number; heartbeatTimeoutMs?: number } = {}): Promise<FlinkCluster> {
  requireJava("the Flink session cluster");
  const cp = ensureFlinkClusterClasspath(options.flinkVersion).join(path.delimiter);
  const [rpc, rest, blob, tmRpc, tmData] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  const dir = fs.mkdtempSync(path.join(cacheDir("flink-cluster"), "run-"));
  const conf = path.join(dir, "conf");
  fs.mkdirSync(conf, { recursive: true });
  const settings: Record<string, string | number> = {
    "jobmanager.rpc.address": "127.0.0.1",
    "jobmanager.rpc.port": rpc,
    "jobmanager.bind-host": "127.0.0.1",
    "rest.address": "127.0.0.1",
    "rest.bind-address": "127.0.0.1",
    "rest.port": rest,
    "blob.server.port": blob,
    "taskmanager.host": "127.0.0.1",
    "taskmanager.bind-host": "127.0.0.1",
    "taskmanager.rpc.port": tmRpc,
    "taskmanager.data.port": tmData,
    "taskmanager.numberOfTaskSlots": options.slots ?? 2,
    "jobmanager.memory.process.size": "1024m",
    // Started without Flink's scripts, a TaskManager needs its resources spelled out.
    "taskmanager.cpu.cores": 2,
    "taskmanager.memory.framework.heap.size": "128m",
    "taskmanager.memory.framework.off-heap.size": "128m",
    "taskmanager.memory.task.heap.size": "384m",
    "taskmanager.memory.task.off-heap.size": "0m",
    "taskmanager.memory.managed.size": "128m",
    "taskmanager.memory.network.min": "64m",
    "taskmanager.memory.network.max": "64m",
    "taskmanager.memory.jvm-metaspace.size": "256m",
    "taskmanager.memory.jvm-overhead.min": "192m",
    "taskmanager.memory.jvm-overhead.max": "192m",
    "parallelism.default": 1,
    "io.tmp.dirs": path.join(dir, "tmp"),
    // How soon the JobManager takes a TaskManager that stopped answering for lost (Flink's defaults: 10 s, 50 s).
    ...(options.heartbeatTimeoutMs ? { "heartbeat.interval": Math.max(100, Math.floor(options.heartbeatTimeoutMs / 5)), "heartbeat.timeout": options.heartbeatTimeoutMs } : {}),
  };
  fs.mkdirSync(path.join(dir, "tmp"), { recursive: true });
  fs.writeFileSync(path.join(conf, "flink-conf.yaml"), Object.entries(settings).map(([k, v]) => `${k}: ${v}`).join("\n") + "\n");
  const jvm = (main: string, log: string, extra: string[] = []) =>
    startService(main.split(".").pop()!, "java", [
      "-Xmx768m",
      "-XX:MaxDirectMemorySize=320m",
      ...JAVA_OPENS,
      "-cp", cp, main, "--configDir", conf, ...extra,
    ], path.join(dir, log), { ...process.env, FLINK_CONF_DIR: conf });
  const jobManager = jvm("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", "jobmanager.log");
  const taskManagers: Service[] = [];
  const stop = async () => {
    for (const tm of taskManagers) await tm.stop();
    await jobManager.stop();
  };
  const timeoutMs = options.timeoutMs ?? 120_000;
  const registered = async () => {
    const r = await fetch(`http://127.0.0.1:${rest}/taskmanagers`, { signal: AbortSignal.timeout(5000) }).then((x) => x.json() as Promise<{ taskmanagers?: { id: string }[] }>).catch(() => null);
    // While the JobManager starts, the route may answer with an error document instead.
    return r?.taskmanagers ? r.taskmanagers.map((t) => t.id) : null;
  };
  /** Starts a TaskManager and waits until the JobManager lists one it did not list before. */
  const startTaskManager = async (): Promise<Service> => {
    const before = new Set((await registered()) ?? []);
    const tm = jvm("org.apache.flink.runtime.taskexecutor.TaskManagerRunner", `taskmanager-${taskManagers.length + 1}.log`);
    taskManagers.push(tm);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ids = await registered();
      if (ids && ids.some((id) => !before.has(id))) return tm;
      if (tm.child.exitCode !== null || tm.child.signalCode !== null || Date.now() > deadline) {
        throw new ProvisioningError({
          code: "BL_SERVICE_START",
          domain: "external",
          retriable: true,
          value: "flink taskmanager",
          rule: "the TaskManager did not register with the JobManager",
          fix: `see ${tm.logFile}`,
        });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  let taskManager: Service;
  try {
    await waitForPort(jobManager, rest, timeoutMs);
    taskManager = await startTaskManager();
  } catch (e) {
    await stop();
    throw e;
  }
  return { restEndpoint: `127.0.0.1:${rest}`, jobManager, taskManager, startTaskManager, stop };
}

/** Jobs the session cluster ran, from its REST API (`/jobs/overview`). */
export async function clusterJobs(restEndpoint: string): Promise<{ jid: string; name: string; state: string }[]> {
  const r = await fetch(`http://${restEndpoint}/jobs/overview`, { signal: AbortSignal.timeout(10_000) });
  const body = (await r.json()) as { jobs: { jid: string; name: string; state: string }[] };
  return body.jobs;
}

/**
 * Cancels the jobs of the session cluster that have not ended (those named `name` when given), through
 * its REST API; resolves to their ids. Cancelling a job through Beam's Flink job server ends the job
 * server's invocation but leaves the job running on a session cluster (where, with checkpointing, it
 * restarts for ever once its LOOPBACK harness is gone).
 */
export async function cancelClusterJobs(restEndpoint: string, name?: string): Promise<string[]> {
  const ended = new Set(["FINISHED", "CANCELED", "FAILED"]);
  const live = (await clusterJobs(restEndpoint)).filter((j) => !ended.has(j.state) && (name === undefined || j.name === name));
  for (const j of live) await fetch(`http://${restEndpoint}/jobs/${j.jid}?mode=cancel`, { method: "PATCH", signal: AbortSignal.timeout(10_000) });
  // Flink answers at once and cancels meanwhile: wait (at most CANCEL_WAIT_MS) until the jobs ended.
  const ids = new Set(live.map((j) => j.jid));
  const deadline = Date.now() + CANCEL_WAIT_MS;
  while (ids.size > 0 && Date.now() < deadline) {
    const left = (await clusterJobs(restEndpoint)).filter((j) => ids.has(j.jid) && !ended.has(j.state));
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return live.map((j) => j.jid);
}

/** How long (ms) {@link cancelClusterJobs} waits for the cancelled jobs to end. */
const CANCEL_WAIT_MS = 15_000;
