/**
 * Provisions and starts the portable runners' services and a Kafka broker on loopback free ports, for
 * users who want them running on their own (the `--runner=flink` and `--runner=prism` commands start
 * and stop their own):
 *
 *   npx tsx scripts/services.ts provision          fetch everything into the cache (~/.cache/beamline), and
 *                                                  install Prometheus and Chromium with apt-get when missing
 *   npx tsx scripts/services.ts prism              start Prism; prints its job endpoint
 *   npx tsx scripts/services.ts flink-job-server [--flink-master=HOST:PORT] [--flink-version=1.19]
 *                                                  start Beam's Flink job server (embedded Flink by default)
 *   npx tsx scripts/services.ts flink-cluster [--flink-version=1.19]
 *                                                  start a Flink session cluster (JobManager + TaskManager)
 *                                                  and a job server submitting to it
 *   npx tsx scripts/services.ts kafka              start a one-node Kafka broker; prints its bootstrap servers
 *   npx tsx scripts/services.ts gcs                start a GCS emulator (fake-gcs-server); prints its endpoint
 *   npx tsx scripts/services.ts pubsub             start a Pub/Sub emulator (pstest); prints its endpoint
 *   npx tsx scripts/services.ts prometheus --targets=HOST:PORT[,HOST:PORT…]
 *                                                  start Prometheus scraping those /metrics endpoints (a run's
 *                                                  --metrics-port); prints its URL
 *
 * Each service runs until Ctrl-C, then stops.
 */
import { ensureFlinkJobServer, startFlinkCluster, startFlinkJobServer } from "../runners/flink/flink";
import { modelFilesDir } from "../runners/portable/model/protos";
import { BEAM_VERSION } from "../runners/portable/provision/cache";
import { ensurePrism } from "../runners/prism/prism";
import { ensureChromium } from "../runners/services/chromium/chromium";
import { ensureFakeGcs, FAKE_GCS_VERSION, startGcsEmulator } from "../runners/services/gcs/gcs";
import { ensureKafka, KAFKA_VERSION, startKafka } from "../runners/services/kafka/kafka";
import { ensurePubSubEmulator, PSTEST_VERSION, startPubSubEmulator } from "../runners/services/pubsub/pubsub";
import { ensurePrometheus, startPrometheus } from "../runners/services/prometheus/prometheus";

async function untilInterrupted(stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await stop();
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const flag = (name: string) => rest.find((a) => a.startsWith(`--${name}=`))?.split("=").slice(1).join("=");
  switch (command) {
    case "provision":
      console.log(`Beam ${BEAM_VERSION} model protos: ${modelFilesDir()}`);
      console.log(`Prism: ${ensurePrism()}`);
      console.log(`Flink job server and cluster: ${ensureFlinkJobServer().length} jars`);
      console.log(`Kafka ${KAFKA_VERSION}: ${ensureKafka().length} jars`);
      console.log(`fake-gcs-server ${FAKE_GCS_VERSION}: ${ensureFakeGcs()}`);
      console.log(`Pub/Sub emulator (pstest ${PSTEST_VERSION}): ${ensurePubSubEmulator()}`);
      console.log(`Prometheus: ${ensurePrometheus()}`);
      console.log(`Chromium: ${ensureChromium()}`);
      return 0;
    case "prism": {
      const { startPrism } = await import("../runners/prism/prism");
      const s = await startPrism();
      console.log(`Prism job endpoint: ${s.jobEndpoint}   (--runner=portable --job-endpoint=${s.jobEndpoint}); log: ${s.logFile}`);
      await untilInterrupted(() => s.stop());
      return 0;
    }
    case "flink-job-server": {
      const s = await startFlinkJobServer({ flinkMaster: flag("flink-master"), flinkVersion: flag("flink-version") });
      console.log(`Flink job endpoint: ${s.jobEndpoint} (Flink: ${s.flinkMaster})   (--runner=flink --job-endpoint=${s.jobEndpoint}); log: ${s.logFile}`);
      await untilInterrupted(() => s.stop());
      return 0;
    }
    case "flink-cluster": {
      const c = await startFlinkCluster({ flinkVersion: flag("flink-version") });
      const s = await startFlinkJobServer({ flinkMaster: c.restEndpoint, flinkVersion: flag("flink-version") });
      console.log(`Flink session cluster REST: http://${c.restEndpoint}`);
      console.log(`Flink job endpoint: ${s.jobEndpoint}   (--runner=flink --job-endpoint=${s.jobEndpoint})`);
      await untilInterrupted(async () => {
        await s.stop();
        await c.stop();
      });
      return 0;
    }
    case "kafka": {
      const k = await startKafka();
      console.log(`Kafka bootstrap servers: ${k.bootstrapServers}   (brokers: "${k.bootstrapServers}"); log: ${k.logFile}`);
      await untilInterrupted(() => k.stop());
      return 0;
    }
    case "gcs": {
      const g = await startGcsEmulator();
      console.log(`GCS emulator: ${g.url}   (STORAGE_EMULATOR_HOST=${g.storageEmulatorHost}); log: ${g.logFile}`);
      await untilInterrupted(() => g.stop());
      return 0;
    }
    case "pubsub": {
      const p = await startPubSubEmulator();
      console.log(`Pub/Sub emulator: ${p.host}   (PUBSUB_EMULATOR_HOST=${p.host}); log: ${p.logFile}`);
      await untilInterrupted(() => p.stop());
      return 0;
    }
    case "prometheus": {
      const targets = (flag("targets") ?? "").split(",").filter((t) => t !== "");
      const s = await startPrometheus({ targets });
      console.log(`Prometheus: ${s.url} scraping ${targets.join(", ") || "nothing (pass --targets=HOST:PORT)"}; log: ${s.logFile}`);
      await untilInterrupted(() => s.stop());
      return 0;
    }
    default:
      console.error("usage: npx tsx scripts/services.ts provision | prism | flink-job-server [--flink-master=HOST:PORT] [--flink-version=1.19] | flink-cluster [--flink-version=1.19] | kafka | gcs | pubsub | prometheus --targets=HOST:PORT");
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
