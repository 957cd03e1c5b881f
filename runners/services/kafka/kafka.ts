/**
 * Apache Kafka for tests, examples and development: one KRaft node (a combined broker and controller)
 * from Maven Central's jars in the cache, formatted in a fresh temporary directory, started on loopback
 * free ports, and removed when stopped. It can be restarted on the same data and ports, as a broker
 * that went down and came back.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheDir, hasCommand, mavenClasspath, ProvisioningError } from "../../portable/provision/cache";
import { freePort, Service, startService } from "../../portable/provision/process";

/** The Kafka release provisioned. */
export const KAFKA_VERSION = "4.4.0";

/** The log line that says the broker serves clients. */
const READY = "Kafka Server started";

/** The JVM flags that make a one-node broker start in seconds on a small machine. */
const JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx512m", "-Djava.awt.headless=true"];

/** Kafka's broker and tools jars in the cache (resolved once with Maven); returns the class path. */
export function ensureKafka(): string[] {
  requireJava();
  return mavenClasspath(
    cacheDir(`kafka-${KAFKA_VERSION}`),
    [
      `org.apache.kafka:kafka_2.13:${KAFKA_VERSION}`,
      `org.apache.kafka:kafka-tools:${KAFKA_VERSION}`,
      // Without an SLF4J binding the broker logs nothing, and its readiness is read from its log.
      "org.apache.logging.log4j:log4j-slf4j-impl:2.24.3",
    ],
    ["org.apache.kafka:connect-runtime", "org.apache.kafka:connect-json"],
  );
}

/** A running Kafka broker. */
export interface KafkaBroker {
  /** Where clients connect, `127.0.0.1:port`. */
  readonly bootstrapServers: string;
  /** The broker's log. */
  readonly logFile: string;
  /** The broker process (a new one after each restart). */
  readonly service: Service;
  /** The temporary directory of its settings and data, removed by `stop`. */
  readonly dir: string;
  /** Stops the broker and removes its data. */
  stop(): Promise<void>;
  /**
   * Stops the broker process (SIGTERM, or SIGKILL when `kill`), keeps it down for `downMs`, and starts
   * it again on the same data and ports; resolves once it serves clients again.
   */
  restart(options?: { downMs?: number; kill?: boolean }): Promise<void>;
}

/** The server.properties of one combined broker and controller. */
function kafkaSettings(brokerPort: number, controllerPort: number, dataDir: string): Record<string, string | number> {
  return {
    "process.roles": "broker,controller",
    "node.id": 1,
    "controller.quorum.bootstrap.servers": `127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${brokerPort},CONTROLLER://127.0.0.1:${controllerPort}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    "log.dirs": dataDir,
    "offsets.topic.replication.factor": 1,
    "offsets.topic.num.partitions": 4,
    "transaction.state.log.replication.factor": 1,
    "transaction.state.log.min.isr": 1,
    "transaction.state.log.num.partitions": 4,
    "share.coordinator.state.topic.replication.factor": 1,
    "share.coordinator.state.topic.min.isr": 1,
    "group.initial.rebalance.delay.ms": 0,
    // Records are kept whatever their timestamps: pipelines here write event times near the epoch, which
    // time-based retention (7 days by default) deletes at the broker's first retention check, 30 s after
    // it starts (then every 5 minutes): a topic written before then reads empty after.
    "log.retention.ms": -1,
  };
}

/**
 * Starts a one-node Kafka: formats its storage (a new cluster id) in a fresh temporary directory,
 * starts the broker on free loopback ports and waits until its log says it serves clients.
 */
export async function startKafka(options: { timeoutMs?: number; logFile?: string } = {}): Promise<KafkaBroker> {
  const cp = ensureKafka().join(path.delimiter);
  const [brokerPort, controllerPort] = await distinctFreePorts(2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-kafka-"));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  const logFile = options.logFile ?? path.join(cacheDir("logs"), `kafka-${brokerPort}.log`);
  const properties = path.join(dir, "server.properties");
  const log4j = path.join(dir, "log4j2.properties");
  fs.writeFileSync(properties, Object.entries(kafkaSettings(brokerPort, controllerPort, path.join(dir, "data"))).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
  fs.writeFileSync(log4j, LOG4J_CONFIG);
  const jvm = [...JVM_FLAGS, `-Dlog4j2.configurationFile=${log4j}`, "-cp", cp];
  try {
    const clusterId = randomBytes(16).toString("base64url");
    const format = spawnSync("java", [...jvm, "kafka.tools.StorageTool", "format", "--standalone", `--cluster-id=${clusterId}`, "-c", properties], { encoding: "utf8", maxBuffer: 16 << 20 });
    if (format.status !== 0) {
      throw new ProvisioningError({
        code: "BL_SERVICE_START",
        domain: "external",
        retriable: true,
        value: "kafka storage format",
        rule: `formatting Kafka's storage failed: ${(format.stderr || format.stdout || String(format.error ?? "")).trim().split("\n").slice(-15).join("\n")}`,
        fix: `check that ${dir} is writable and Java is 17 or newer`,
      });
    }
  } catch (e) {
    remove();
    throw e;
  }
  const timeoutMs = options.timeoutMs ?? 90_000;
  /** Starts the broker process and waits until it serves clients; the log may hold earlier lines (it is named by port). */
  const launch = async (): Promise<Service> => {
    const logStart = fs.existsSync(logFile) ? fs.statSync(logFile).size : 0;
    const started = startService("kafka", "java", [...jvm, "kafka.Kafka", properties], logFile);
    try {
      await waitForLogLine(started, READY, logStart, timeoutMs);
    } catch (e) {
      await started.stop();
      throw e;
    }
    return started;
  };
  let service: Service | undefined;
  const stop = async () => {
    await service?.stop();
    remove();
  };
  try {
    service = await launch();
  } catch (e) {
    remove();
    throw e;
  }
  const broker: KafkaBroker = {
    bootstrapServers: `127.0.0.1:${brokerPort}`,
    logFile,
    get service() {
      return service!;
    },
    dir,
    stop,
    async restart({ downMs = 0, kill = false } = {}) {
      const down = service!;
      if (kill) {
        down.child.kill("SIGKILL");
        await new Promise((r) => (down.child.exitCode !== null || down.child.signalCode !== null ? r(null) : down.child.once("exit", r)));
      } else {
        await down.stop();
      }
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      service = await launch();
    },
  };
  return broker;
}

/** Log4j 2 settings: the broker's own start and stop at INFO (readiness is read from them), the rest at WARN. */
const LOG4J_CONFIG = `appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.out.ref = out
logger.server.name = kafka.server
logger.server.level = INFO
`;

function requireJava(): void {
  for (const tool of ["java", "mvn"]) {
    if (!hasCommand(tool)) {
      throw new ProvisioningError({
        code: "BL_TOOL_MISSING",
        domain: "external",
        value: tool,
        rule: `the Kafka broker needs ${tool === "java" ? "Java (17 or newer)" : "Apache Maven (to fetch its jars)"}, which is not on the PATH`,
        fix: "install a JDK (17 or newer) and Apache Maven",
      });
    }
  }
}

/** `n` free ports, all different (two quick asks can return the same port). */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

/** Waits until the service's log past byte `from` contains `line`, or the service exits or time runs out. */
async function waitForLogLine(service: Service, line: string, from: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const log = () => (fs.existsSync(service.logFile) ? fs.readFileSync(service.logFile).subarray(from).toString("utf8") : "");
  while (Date.now() < deadline && service.child.exitCode === null) {
    if (log().includes(line)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = log().split("\n").slice(-20).join("\n");
  throw new ProvisioningError({
    code: "BL_SERVICE_START",
    domain: "external",
    retriable: true,
    value: service.name,
    rule: service.child.exitCode !== null
      ? `exited with code ${service.child.exitCode} while starting:\n${tail}`
      : `did not log "${line}" within ${Math.round(timeoutMs / 1000)} s:\n${tail}`,
    fix: `see ${service.logFile}`,
  });
}
