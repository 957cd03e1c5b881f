/**
 * The benchmark harness: `npm run bench [-- --quick] [--case=wordcount,sum] [--impl=plain-js,beamline-direct]`
 * runs the throughput cases (throughput.ts) and prints their summary;
 * `npm run bench -- --case=kafka-latency` runs the Kafka latency case (kafka-latency.ts), only when named;
 * `npm run bench -- --nexmark` runs the Nexmark queries instead (nexmark.ts);
 * `npm run bench -- --all [--quick]` runs every part in sequence (all.ts).
 * The options: args.ts. The run exits 1 when a part failed or produced a wrong output.
 */
import { runAll } from "./all";
import { parseArgs, USAGE } from "./args";
import { printLatencySummary, runKafkaLatency } from "./kafka-latency";
import { runNexmark } from "./nexmark";
import { printSummary } from "./summary";
import { chooseMeasurements, runThroughput, throughputFailed } from "./throughput";

const printLine = (line: unknown) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // `--nexmark` runs the Nexmark queries instead, with options of their own.
  if (argv.includes("--nexmark")) {
    const run = await runNexmark(argv);
    run.printSummary();
    if (run.failed) process.exitCode = 1;
    return;
  }
  const parsed = parseArgs(argv);
  if ("help" in parsed) {
    process.stderr.write(`${USAGE}\n`);
    return;
  }
  if ("error" in parsed) {
    process.stderr.write(`bench: ${parsed.error}\n${USAGE}\n`);
    process.exit(2);
  }
  const args = parsed.args;
  if (args.all) {
    if (await runAll(args)) process.exitCode = 1;
    return;
  }
  const chosen = chooseMeasurements({ ...args, portable: args.cases !== null });
  if (chosen.length === 0 && !args.latency) {
    process.stderr.write(`bench: no case and implementation match.\n${USAGE}\n`);
    process.exit(2);
  }
  if (chosen.length > 0) {
    const started = Date.now();
    const lines = await runThroughput(chosen, args.timeoutSeconds);
    printSummary(lines, { quick: args.quick, seconds: (Date.now() - started) / 1000 });
    if (throughputFailed(lines)) process.exitCode = 1;
  }
  if (args.latency) {
    const lines = await runKafkaLatency({ quick: args.quick, rate: args.rate }, printLine);
    printLatencySummary(lines);
    if (lines.some((l) => l.error !== undefined)) process.exitCode = 1;
  }
}

main().catch((e) => {
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
