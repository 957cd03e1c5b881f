/** The harness's command line, and the parts `--all` runs with the sizes `--quick` gives them. */
import { allPlan } from "../../bench/all";
import { parseArgs, type HarnessArgs } from "../../bench/args";
import { chooseMeasurements } from "../../bench/throughput";

function args(argv: string[]): HarnessArgs {
  const parsed = parseArgs(argv);
  if (!("args" in parsed)) throw new Error(`expected options from ${argv.join(" ")}: ${JSON.stringify(parsed)}`);
  return parsed.args;
}

test("--all selects every part: all throughput cases with the portable word count, the latency case, Nexmark, both state backends", () => {
  const a = args(["--all"]);
  expect(a).toMatchObject({ all: true, quick: false, latency: true, cases: null, impls: null, timeoutSeconds: 240 });
  const plan = allPlan(a);
  expect(plan.throughput).toMatchObject({ quick: false, cases: null, impls: null, portable: true, timeoutSeconds: 240 });
  expect(plan.latency).toEqual({ quick: false, rate: null });
  expect(plan.nexmarkArgv).toEqual([]);
  expect(plan.diskState).toMatchObject({ keys: 1_000_000, heapMB: 512, backends: ["memory", "disk"] });
});

test("--quick reaches every part of --all, and --rate and --timeout the parts they are for", () => {
  const plan = allPlan(args(["--all", "--quick", "--rate=2000", "--timeout=90"]));
  expect(plan.throughput).toMatchObject({ quick: true, portable: true, timeoutSeconds: 90 });
  expect(plan.latency).toEqual({ quick: true, rate: 2000 });
  expect(plan.nexmarkArgv).toEqual(["--quick"]);
  expect(plan.diskState.keys).toBe(100_000);
  // The throughput part runs every case at its quick size, the portable word count included.
  const cases = new Set(chooseMeasurements(plan.throughput).map((m) => m.case));
  expect([...cases]).toEqual(["wordcount-1M", "wordcount-portable-100k", "sum-per-key-1k", "sum-per-key-1M", "windowed-aggregation", "windowed-aggregation-checkpointed", "kafka-to-kafka"]);
  expect(new Set(chooseMeasurements({ ...plan.throughput, portable: false }).map((m) => m.case)).has("wordcount-portable-100k")).toBe(false);
  expect(args(["--quick", "--all"]).timeoutSeconds).toBe(60);
});

test("without --all, the latency case runs only when --case names it and not kafka-to-kafka", () => {
  expect(args([]).latency).toBe(false);
  expect(args(["--case=kafka-latency"]).latency).toBe(true);
  expect(args(["--case=kafka"]).latency).toBe(false);
  expect(args(["--case=wordcount,kafka-l"])).toMatchObject({ all: false, latency: true, cases: ["wordcount", "kafka-l"] });
});

test("--all with --case or --impl, and unknown options, are errors; --help asks for the usage", () => {
  expect(parseArgs(["--all", "--case=wordcount"])).toHaveProperty("error");
  expect(parseArgs(["--all", "--impl=plain-js"])).toHaveProperty("error");
  expect(parseArgs(["--al"])).toEqual({ error: '"--al" is not an option of the harness.' });
  expect(parseArgs(["--all=yes"])).toHaveProperty("error");
  expect(parseArgs(["--help"])).toEqual({ help: true });
});
