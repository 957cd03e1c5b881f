/**
 * The pipelines the portable integration suites run on every runner, and how to read their output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  afterWatermark, afterCount, combineGlobally, count, create, DeadLetter, ElementInfo, fixedWindows, groupBy, IOError, map, parDo, PCollection, Pipeline, reshuffle, sideInput, sum,
  windowInto, withTimestamps, writeText,
} from "beamline";
import { buildPipeline } from "beamline";
import wordcount from "../../examples/wordcount";

/** The wordcount example writing under `outDir`. */
export function wordcountPipeline(outDir: string): Pipeline {
  return buildPipeline(wordcount, { output: path.join(outDir, "counts") });
}

/** Clicks by user in one-minute windows, fired by the watermark (with late firings allowed), one line per window and user with the pane's timing. */
export function windowedPipeline(outDir: string): Pipeline {
  const p = new Pipeline();
  const base = Date.UTC(2024, 0, 1, 12, 0, 0);
  const clicks: { user: string; at: number }[] = [];
  for (let i = 0; i < 60; i++) clicks.push({ user: ["ann", "bob", "cy"][i % 3], at: base + ((i * 7919) % 300) * 1000 });
  p.apply("Clicks", create(clicks))
    .apply("Stamp", withTimestamps<{ user: string; at: number }>("at"))
    .apply("Minutes", windowInto(fixedWindows("1m"), { trigger: afterWatermark({ late: afterCount(1) }), allowedLateness: "10m" }))
    .apply("PerUser", groupBy<{ user: string; at: number }>("user").aggregate({ clicks: count() }))
    .map((r: Record<string, unknown>, info: ElementInfo) => `${new Date(info.window.start).toISOString()} ${String(r.user)} ${String(r.clicks)} ${info.pane.timing}`, { name: "Format" })
    .apply("Write", writeText(path.join(outDir, "windowed")));
  return p;
}

/** A DoFn reading a singleton side input (a global sum) and an iterable one, after a reshuffle. */
export function sideInputPipeline(outDir: string): Pipeline {
  const p = new Pipeline();
  const total = p.apply("Nums", create([1, 2, 3, 4])).apply("Total", combineGlobally(sum()));
  const names = p.apply("Names", create(["a", "b", "c"]));
  p.apply("Main", create([10, 20, 30]))
    .apply("Spread", reshuffle<number>())
    .apply(
      "Describe",
      parDo<number, string>(
        {
          process(x, ctx) {
            ctx.output(`${x} of ${String(ctx.sideInput("total"))} with ${(ctx.sideInput("names") as string[]).slice().sort().join("+")}`);
          },
        },
        { sideInputs: { total: sideInput.singleton(total), names: sideInput.iterable(names) } },
      ),
    )
    .apply("Write", writeText(path.join(outDir, "side")));
  return p;
}

/**
 * Parsing with dead letters and retries: ids that end in 3 throw every time (dead-lettered after two
 * attempts), ids that end in 5 throw once (a retry succeeds); good rows and dead letters are written
 * as lines.
 */
export function deadLetterPipeline(outDir: string): Pipeline {
  const p = new Pipeline();
  const tries = new Map<number, number>();
  const flaky = (id: number) => new IOError({ code: "BL_TEST_FLAKY", value: id, rule: `id ${id} failed`, retriable: true });
  const { main, deadLetter } = p.apply("Ids", create(Array.from({ length: 40 }, (_, id) => ({ id })))).apply(
    "Parse",
    map((row: { id: number }) => {
      const attempt = (tries.get(row.id) ?? 0) + 1;
      tries.set(row.id, attempt);
      if (row.id % 10 === 3 || (row.id % 10 === 5 && attempt === 1)) throw flaky(row.id);
      return `good ${row.id}`;
    }).withDeadLetter({ retry: { attempts: 2, initialBackoffMs: 1 } }),
  );
  writeGoodAndDead(main, deadLetter, outDir);
  return p;
}

/**
 * The dead-letter guard over a short input: of ids 0 to 9, those divisible by 3 (four of ten) throw
 * and go to dead letters, under `limits`; good ids and dead letters are written as lines.
 */
export function guardedPipeline(outDir: string, limits: { maxDeadLetterRatio?: number; maxDeadLetters?: number }): Pipeline {
  const p = new Pipeline();
  const { main, deadLetter } = p.apply("Ids", create(Array.from({ length: 10 }, (_, id) => ({ id })))).apply(
    "Parse",
    map((row: { id: number }) => {
      if (row.id % 3 === 0) throw new RangeError(`id ${row.id} is bad`);
      return `good ${row.id}`;
    }, { deadLetter: true, ...limits }),
  );
  writeGoodAndDead(main, deadLetter, outDir);
  return p;
}

/** Writes good rows (strings) to `good` files and dead letters, one line each, to `dead` files under `outDir`. */
function writeGoodAndDead(main: PCollection<string>, deadLetter: PCollection<DeadLetter>, outDir: string): void {
  main.apply("WriteGood", writeText(path.join(outDir, "good")));
  deadLetter
    .map((d: DeadLetter) => `dead ${d.transform} ${d.element} ${d.errorName} ${d.attempts} ${d.message}`, { name: "FormatDead" })
    .apply("WriteDead", writeText(path.join(outDir, "dead")));
}

/** The sorted lines of every file a run wrote under `dir` whose name starts with `prefix`. */
export function outputLines(dir: string, prefix: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix))
    .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n").filter((l) => l.length > 0))
    .sort();
}
