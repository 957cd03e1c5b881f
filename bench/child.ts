/**
 * The child process of one measurement: `node --require ./runners/load/register.js bench/child.ts <kind> <impl> '<params json>'`.
 * Started by `throughput.ts`, one process per implementation and case, so that its peak RSS is its own.
 */
import { CaseParams, Impl, ImplOutput, measureAndReport } from "./measure";
import * as kafkaToKafka from "./kafka-to-kafka";
import * as sumPerKey from "./sum-per-key";
import * as windowed from "./windowed";
import * as wordcount from "./wordcount";
import { verifyFoldedWordCounts } from "./folded-word-counts";
import { beamJavaFlink } from "./wordcount-java";
import { beamlineFlink, beamlinePrism } from "./wordcount-portable";

/** The kinds of case and their implementations, with how each output is checked. */
export const KINDS: Record<string, { impls: Record<string, Impl>; verify: (p: CaseParams) => Promise<ImplOutput> }> = {
  wordcount: {
    impls: { "beamline-direct": wordcount.beamlineDirect, "plain-js": wordcount.plainJs },
    verify: wordcount.verifyWordCounts,
  },
  "wordcount-portable": {
    impls: { "plain-js": wordcount.plainJs, "beamline-prism": beamlinePrism, "beamline-flink": beamlineFlink, "beam-java-flink": beamJavaFlink },
    verify: verifyFoldedWordCounts,
  },
  "sum-per-key": {
    impls: { "beamline-direct": sumPerKey.beamlineDirect, "plain-js": sumPerKey.plainJs },
    verify: (p) => sumPerKey.verifyCsvSums(p, "total"),
  },
  windowed: {
    impls: { "beamline-direct": windowed.beamlineDirect, "plain-js": windowed.plainJs },
    verify: (p) => sumPerKey.verifyCsvSums(p, "total"),
  },
  kafka: {
    impls: { "beamline-direct": kafkaToKafka.beamlineExactlyOnce, "beamline-direct-at-least-once": kafkaToKafka.beamlineAtLeastOnce, "plain-js": kafkaToKafka.plainKafkajs },
    verify: kafkaToKafka.verifyKafkaOutput,
  },
};

async function main(): Promise<void> {
  const [kind, implName, json] = process.argv.slice(2);
  const k = KINDS[kind];
  const impl = k?.impls[implName];
  if (!impl || !json) throw new Error(`bench: usage: child.ts <${Object.keys(KINDS).join("|")}> <impl> '<params json>' (got ${process.argv.slice(2).join(" ")})`);
  await measureAndReport(impl, JSON.parse(json) as CaseParams, k.verify);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
