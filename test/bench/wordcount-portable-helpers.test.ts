/** The pure helpers of the portable word count case: the case-folded output check, the Flink job's times from Beam Java's log, a process's peak RSS. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { foldWordCounts, verifyFoldedWordCounts } from "../../bench/folded-word-counts";
import { flinkJobTimes } from "../../bench/wordcount-java";
import { cpuSecondsOfStat, vmHwmMB, watchPeakRss } from "../../bench/process-peak";

describe("case-folded word counts", () => {
  test("merge the counts of words that differ only in case, and count the lines as written", () => {
    const counts = new Map<string, number>();
    expect(foldWordCounts(["The: 3", "the: 4", "cat: 1", ""], counts)).toBe(3);
    expect([...counts]).toEqual([["the", 7], ["cat", 1]]);
  });

  test("refuse a line that is not `word: count`", () => {
    expect(() => foldWordCounts(["the 3"], new Map(), "part-0")).toThrow(/part-0 has a line that is not "word: count": "the 3"/);
    expect(() => foldWordCounts(["a1: 3"], new Map())).toThrow(/not "word: count"/);
  });

  test("read every shard under the output directory, leaving hidden files out", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "folded-"));
    try {
      fs.writeFileSync(path.join(dir, "wordcount-00000-of-00002"), "Hello: 2\nworld: 1\n");
      fs.writeFileSync(path.join(dir, "wordcount-00001-of-00002"), "hello: 5\n");
      fs.writeFileSync(path.join(dir, ".java.log"), "not a count\n");
      const out = await verifyFoldedWordCounts({ input: "", outDir: dir, rows: 8 });
      expect(out).toEqual({ rows: 8, outputRows: 2, checksum: 8, report: { outputLines: 3 } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the Flink job's times in Beam Java's log", () => {
  const line = (ms: number, from: string, to: string) =>
    `${ms} [flink-pekko.actor.default-dispatcher-4] INFO org.apache.flink.runtime.executiongraph.ExecutionGraph - Job wordcount-root-1207144237-60dcec42 (1abb550d716baa48b5e4db55ff998383) switched from state ${from} to ${to}.`;

  test("are when the job went from CREATED to RUNNING and from RUNNING to FINISHED", () => {
    const task = "2210 [main] INFO org.apache.flink.runtime.executiongraph.ExecutionGraph - CHAIN DataSource (1/1) switched from CREATED to SCHEDULED.";
    const log = ["15 [main] INFO org.apache.beam.runners.flink.FlinkRunner - Executing pipeline using FlinkRunner.", line(2203, "CREATED", "RUNNING"), task, line(9876, "RUNNING", "FINISHED")].join("\n");
    expect(flinkJobTimes(log)).toEqual({ runningAtMs: 2203, finishedAtMs: 9876 });
  });

  test("are missing when the job did not finish or the lines have no time", () => {
    expect(flinkJobTimes(line(2203, "CREATED", "RUNNING"))).toBeUndefined();
    expect(flinkJobTimes(`${line(1, "CREATED", "RUNNING")}\n${line(2, "RUNNING", "FAILED")}`)).toBeUndefined();
    expect(flinkJobTimes(line(1, "CREATED", "RUNNING").replace(/^\d+ /, "") + "\n" + line(2, "RUNNING", "FINISHED").replace(/^\d+ /, ""))).toBeUndefined();
  });
});

describe("a process's peak RSS", () => {
  test("is VmHWM of /proc/<pid>/status, in MB", () => {
    expect(vmHwmMB("Name:\tjava\nVmPeak:\t 9190828 kB\nVmHWM:\t  714408 kB\nVmRSS:\t  700000 kB\n")).toBeCloseTo(714408 / 1024);
    expect(vmHwmMB("Name:\tzombie\n")).toBeUndefined();
  });

  test("and CPU time are fields 14 and 15 of /proc/<pid>/stat, after a command name that may hold spaces and parentheses", () => {
    const stat = "24512 (java (x) y) S 24500 24512 1 0 -1 4194560 5000 0 0 0 1234 56 0 0 20 0 30 0 100 9000000 2000 18446744073709551615";
    expect(cpuSecondsOfStat(stat)).toBeCloseTo(12.9);
    expect(cpuSecondsOfStat("1 (x) S")).toBeUndefined();
  });

  (process.platform === "linux" ? test : test.skip)("of a running process are at least its resident set and the CPU it has used now", () => {
    const watch = watchPeakRss(process.pid, 10);
    const used = process.cpuUsage();
    const { peakRssMB, cpuSeconds } = watch.stop();
    expect(peakRssMB).toBeGreaterThanOrEqual(process.memoryUsage().rss / 1024 / 1024 - 1);
    expect(cpuSeconds).toBeGreaterThanOrEqual((used.user + used.system) / 1e6 - 0.02);
  });
});
