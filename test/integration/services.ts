/**
 * Integration suites around one running service: started once before the suite's tests and stopped
 * after them, and skipped (or failed under BEAMLINE_REQUIRE_INTEGRATION=1) when its tools are missing.
 */
import * as fs from "node:fs";
import { FlinkCluster, FlinkJobServer, startFlinkCluster, startFlinkJobServer } from "../../runners/flink/flink";
import { PrismService, startPrism } from "../../runners/prism/prism";
import { GcsEmulator, startGcsEmulator } from "../../runners/services/gcs/gcs";
import { ChromiumBrowser, CHROMIUM_PATH, startChromium } from "../../runners/services/chromium/chromium";
import { KafkaBroker, startKafka } from "../../runners/services/kafka/kafka";
import { PubSubEmulator, startPubSubEmulator } from "../../runners/services/pubsub/pubsub";
import { hasCommand } from "../../runners/portable/provision/cache";
import { PrometheusOptions, PrometheusServer, startPrometheus } from "../../runners/services/prometheus/prometheus";
import { describeWith } from "../runners/portable/requirements";

/** How long a service may take to provision and start (a first run downloads it). */
export const SERVICE_TIMEOUT = 300_000;

/** A suite whose tests reach the running service through `service()`. */
export function describeWithService<S extends { stop(): Promise<void> }>(tools: string[], name: string, start: () => Promise<S>, body: (service: () => S) => void): void {
  describeWith(tools, name, () => {
    let running: S | undefined;
    beforeAll(async () => {
      running = await start();
    }, SERVICE_TIMEOUT);
    afterAll(async () => {
      await running?.stop();
    });
    body(() => {
      if (!running) throw new Error(`${name}: the service did not start`);
      return running;
    });
  });
}

/** A suite around Beam's Prism runner. */
export function describeWithPrism(name: string, body: (prism: () => PrismService) => void): void {
  describeWithService(["go", "mvn", "java"], name, () => startPrism(), body);
}

/** A suite around Beam's Flink job server with an embedded Flink. */
export function describeWithFlinkJobServer(name: string, body: (server: () => FlinkJobServer) => void): void {
  describeWithService(["mvn", "java"], name, () => startFlinkJobServer(), body);
}

/** A Flink session cluster and Beam's Flink job server submitting to it. */
export interface FlinkClusterServices {
  readonly cluster: FlinkCluster;
  readonly server: FlinkJobServer;
  stop(): Promise<void>;
}

/**
 * A suite around a Flink session cluster (JobManager and TaskManager processes, two slots) and a job
 * server submitting to it; `heartbeatTimeoutMs`: how soon the JobManager takes a silent TaskManager for lost.
 */
export function describeWithFlinkCluster(name: string, body: (services: () => FlinkClusterServices) => void, options: { heartbeatTimeoutMs?: number } = {}): void {
  describeWithService(["mvn", "java"], name, async () => {
    const cluster = await startFlinkCluster({ slots: 2, ...options });
    try {
      const server = await startFlinkJobServer({ flinkMaster: cluster.restEndpoint });
      return { cluster, server, stop: async () => (await server.stop(), await cluster.stop()) };
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }, body);
}

/** A suite around a one-node Kafka broker. */
export function describeWithKafka(name: string, body: (broker: () => KafkaBroker) => void): void {
  describeWithService(["mvn", "java"], name, () => startKafka(), body);
}

/** A suite around a GCS emulator (fake-gcs-server). */
export function describeWithGcs(name: string, body: (gcs: () => GcsEmulator) => void): void {
  describeWithService(["go"], name, () => startGcsEmulator(), body);
}

/** Points this process's Cloud Storage code at the emulator (and away from the metadata server); returns a client of it with `bucket` made. */
export async function gcsBucketOn(gcs: GcsEmulator, bucket: string): Promise<import("@google-cloud/storage").Storage> {
  process.env.STORAGE_EMULATOR_HOST = gcs.storageEmulatorHost;
  process.env.METADATA_SERVER_DETECTION = "none";
  const { Storage } = await import("@google-cloud/storage");
  const storage = new Storage({ projectId: "test", apiEndpoint: gcs.url });
  await storage.createBucket(bucket);
  return storage;
}

/** Points this process's Pub/Sub code at the emulator (and away from the metadata server); returns a client of it for `project`. */
export async function pubsubClientOn(pubsub: PubSubEmulator, project: string): Promise<import("@google-cloud/pubsub").PubSub> {
  process.env.PUBSUB_EMULATOR_HOST = pubsub.host;
  process.env.METADATA_SERVER_DETECTION = "none";
  const { PubSub } = await import("@google-cloud/pubsub");
  return new PubSub({ projectId: project, apiEndpoint: pubsub.host, emulatorMode: true });
}

/** A suite around a Pub/Sub emulator (pstest). */
export function describeWithPubSub(name: string, body: (pubsub: () => PubSubEmulator) => void): void {
  describeWithService(["go"], name, () => startPubSubEmulator(), body);
}

/** A suite around a Prometheus server scraping `options()`'s targets (installed with apt-get when missing). */
export function describeWithPrometheus(name: string, options: () => Promise<PrometheusOptions>, body: (prometheus: () => PrometheusServer) => void): void {
  describeWithService(hasCommand("prometheus") ? ["prometheus", "promtool"] : ["apt-get"], name, async () => startPrometheus(await options()), body);
}

/** A suite around one headless Chromium (Debian's package, installed with apt-get when missing). */
export function describeWithChromium(name: string, body: (chromium: () => ChromiumBrowser) => void): void {
  describeWithService(fs.existsSync(CHROMIUM_PATH) ? [] : ["apt-get"], name, startChromium, body);
}
