/** Pipelines of the pre-combine tests; worker threads load this module again, so it declares only definitions. */
import { count, countPerElement, create, definePipeline, fixedWindows, generateSequence, groupBy, max, mean, min, option, sum, windowInto, withTimestamps, writeText } from "beamline";

/** Rows with repeated keys, split into several source parts so that both threads send. */
function rows(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => ({ k: i % 37, tag: `t${i % 5}`, v: ((i * 7919) % 1000) / 4 - 60, w: (i * 31) % 997, x: -((i * 17) % 991) }));
}

type Row = { k: number; tag: string; v: number; w: number; x: number };

/** Sum, min and max of three fields per key: a combine the exchange pre-combines. */
export const liftable = definePipeline({
  options: { output: option.string("output prefix", { default: "out/lift" }) },
  build(p, { output }) {
    p.apply("Input", create(rows(30_000)))
      .apply("Stats", groupBy<Row>("k").aggregate({ total: sum("v"), low: min("w"), high: max("x") }))
      .map((r: Record<string, unknown>) => JSON.stringify(r), { name: "Json" })
      .apply("Write", writeText(output));
  },
});

/** A count and a mean beside a sum: the count and the mean's count add up the partial rows' input rows. */
export const countAndMean = definePipeline({
  options: { output: option.string("output prefix", { default: "out/lift-count" }) },
  build(p, { output }) {
    p.apply("Input", create(rows(30_000)))
      .apply("Stats", groupBy<Row>("k").aggregate({ n: count(), total: sum("v"), avg: mean("w") }))
      .map((r: Record<string, unknown>) => JSON.stringify(r), { name: "Json" })
      .apply("Write", writeText(output));
  },
});

/** Words counted with countPerElement: a count of bare values, pre-combined per batch. */
export const wordCounts = definePipeline({
  options: { output: option.string("output prefix", { default: "out/lift-words" }) },
  build(p, { output }) {
    p.apply("Input", create(Array.from({ length: 20_000 }, (_, i) => `w${(i * i) % 101}`)))
      .apply("Count", countPerElement<string>())
      .map(({ key, value }) => `${key}: ${value}`, { name: "Format" })
      .apply("Write", writeText(output));
  },
});

/** A count and a sum per key in fixed windows, over rows whose times arrive out of order. */
export const windowedCounts = definePipeline({
  options: { output: option.string("output prefix", { default: "out/lift-windows" }) },
  build(p, { output }) {
    p.apply("Input", create(rows(30_000).map((r, i) => ({ ...r, t: i + ((i * 7919) % 2000) }))))
      .apply("Times", withTimestamps("t"))
      .apply("Seconds", windowInto(fixedWindows("1s")))
      .apply("Stats", groupBy<Row & { t: number }>("k").aggregate({ n: count(), total: sum("v") }))
      .map((r: Record<string, unknown>, { window }) => JSON.stringify({ start: window.start, ...r }), { name: "Json" })
      .apply("Write", writeText(output));
  },
});

/** 20,000 numbers in batches of 500, summed over 50 keys: every key recurs in every batch. */
export const recurringKeys = definePipeline({
  options: { output: option.string("output prefix", { default: "out/lift-recurring" }) },
  build(p, { output }) {
    p.apply("Numbers", generateSequence({ to: 20_000, batchSize: 500 }))
      .map((n: number) => ({ k: n % 50, v: n }), { name: "Keyed" })
      .apply("Sums", groupBy<{ k: number; v: number }>("k").aggregate({ total: sum("v"), n: count() }))
      .map((r: Record<string, unknown>) => JSON.stringify(r), { name: "Json" })
      .apply("Write", writeText(output));
  },
});
