/** The Nexmark generator: Java's random sequence, Beam's event mix and ids, determinism, and the source's splits, positions and pacing. */
import { collect, OptionError, Pipeline, readNexmark, runPipeline, type SourceChunk } from "beamline";
import { JavaRandom } from "../../../transforms/nexmark/java-random";
import { BASE_TIME, generatorConfig, splitGenerators } from "../../../transforms/nexmark/config";
import { generateEvents } from "../../../transforms/nexmark/generator";
import { NexmarkSource } from "../../../transforms/nexmark/source";

test("JavaRandom gives java.util.Random's sequence for a seed", () => {
  // Printed by OpenJDK 17: new Random(seed) then nextInt(10), nextInt(1000), nextInt(16), nextDouble(), nextInt(), nextInt(13).
  const expected: Record<number, [number, number, number, number, number, number]> = {
    0: [0, 948, 3, 0.6063452159973596, 1327362106, 7],
    12345: [1, 80, 14, 0.9171147023602031, 161804169, 0],
    99999999: [5, 465, 6, 0.1886487489604538, -1473569366, 0],
  };
  for (const [seed, values] of Object.entries(expected)) {
    const r = new JavaRandom(Number(seed));
    expect([r.nextInt(10), r.nextInt(1000), r.nextInt(16), r.nextDouble(), r.nextIntAny(), r.nextInt(13)]).toEqual(values);
  }
});

test("events come 1 person : 3 auctions : 46 bids, with ids counting up and bids referring to known auctions and people", () => {
  const config = generatorConfig({ maxEvents: 5000, numEventGenerators: 1 });
  const e = generateEvents(config, splitGenerators(config)[0], 0, 5000);
  expect([e.person.length, e.auction.length, e.bid.length]).toEqual([100, 300, 4600]);
  expect(Array.from(e.person.id.values.subarray(0, 100))).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i));
  expect(Array.from(e.auction.id.values.subarray(0, 300))).toEqual(Array.from({ length: 300 }, (_, i) => 1000 + i));
  const bids = e.bid.batch().toArray().map((r) => r.toJSON());
  // Beam lets a bid name up to 10 auctions and people not yet created; never more.
  expect(bids.every((b) => b.auction >= 1000 && b.auction < 1000 + 300 + 10 && b.bidder >= 1000 && b.bidder < 1000 + 100 + 10)).toBe(true);
  // Event time: 10 000 events/s from one generator is one event per 100 µs, truncated to ms.
  expect(e.person.dateTime.values[0]).toBe(BASE_TIME);
  expect(e.maxTimestamp).toBe(BASE_TIME + Math.floor((4999 * 100) / 1000));
  // With Beam's 100 generators, each generator's timeline has one event per 10 ms.
  const hundred = generatorConfig({ maxEvents: 5000 });
  expect(generateEvents(hundred, splitGenerators(hundred)[3], 0, 50).maxTimestamp).toBe(BASE_TIME + 49 * 10);
  const auctions = e.auction.batch().toArray().map((r) => r.toJSON());
  expect(auctions.every((a) => a.reserve >= a.initialBid && a.expires > a.dateTime && a.category >= 10 && a.category < 15)).toBe(true);
});

test("the same options give the same events; a range generated in pieces equals it generated whole", () => {
  const config = generatorConfig({ maxEvents: 3000, numEventGenerators: 3 });
  const part = splitGenerators(config)[1];
  expect(part).toEqual({ firstEventId: 1000, maxEvents: 1000 });
  const whole = generateEvents(config, part, 0, 1000).bid.batch().toArray().map((r) => r.toJSON());
  const pieces = [generateEvents(config, part, 0, 400), generateEvents(config, part, 400, 1000)].flatMap((g) => g.bid.batch().toArray().map((r) => r.toJSON()));
  expect(pieces).toEqual(whole);
  expect(generateEvents(generatorConfig({ maxEvents: 3000, numEventGenerators: 3 }), part, 0, 1000).bid.batch().toArray().map((r) => r.toJSON())).toEqual(whole);
});

async function readAll(source: NexmarkSource, part: unknown, from: unknown, stopAfter = Infinity): Promise<SourceChunk[]> {
  const out: SourceChunk[] = [];
  for await (const c of source.read(part as never, from as never)) {
    out.push(c);
    if (out.length >= stopAfter) break;
  }
  return out;
}

const rowsOf = (chunks: SourceChunk[], tag: string) => chunks.filter((c) => c.tag === tag).flatMap((c) => c.batch!.data.toArray().map((r) => JSON.stringify(r.toJSON())));

test("a part read from a position mid-range resumes exactly where the position was taken", async () => {
  const source = new NexmarkSource(generatorConfig({ maxEvents: 2000, numEventGenerators: 2, batchSize: 300 }));
  const [part] = await source.split();
  const full = await readAll(source, part, null);
  // Stop after the auctions of the second range (chunk 5): the bids of that range are still due.
  const head = await readAll(source, part, null, 5);
  const tail = await readAll(source, part, head[4].position);
  for (const tag of ["person", "auction", "bid"]) expect([...rowsOf(head, tag), ...rowsOf(tail, tag)]).toEqual(rowsOf(full, tag));
  // Watermarks never move back and follow the event time of what was emitted.
  const marks = full.filter((c) => c.watermark !== undefined).map((c) => c.watermark!);
  expect(marks).toEqual([...marks].sort((a, b) => a - b));
});

test("the source reads every event once through a pipeline, and its parts do not depend on the parallelism asked", async () => {
  const source = new NexmarkSource(generatorConfig({ maxEvents: 1000, numEventGenerators: 4 }));
  expect(await source.split(1)).toEqual(await source.split(7));
  const p = new Pipeline();
  const { person, auction, bid } = p.apply(readNexmark({ maxEvents: 5000, numEventGenerators: 4, batchSize: 500 }));
  const [pc, ac, bc] = [collect(person, "P"), collect(auction, "A"), collect(bid, "B")];
  await runPipeline(p, { parallelism: 1 });
  expect([pc.rows.length, ac.rows.length, bc.rows.length]).toEqual([100, 300, 4600]);
  expect(bc.elements.every((e) => e.timestamp === e.value.dateTime)).toBe(true);
  expect(new Set(ac.rows.map((a) => a.id)).size).toBe(300);
});

test("a rate limit paces the reading", async () => {
  const p = new Pipeline();
  const { bid } = p.apply(readNexmark({ maxEvents: 300, numEventGenerators: 1, ratePerSecond: 1000 }));
  const c = collect(bid);
  const started = Date.now();
  await runPipeline(p, { parallelism: 1 });
  // 300 events at 1000/s cannot all be out before ~300 ms.
  expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  expect(c.rows.length).toBe(276);
});

test("a bad option is an OptionError that names it", () => {
  expect(() => readNexmark({ maxEvents: 0 })).toThrow(OptionError);
  expect(() => readNexmark({ ratePerSecond: -1 })).toThrow(/ratePerSecond must be positive/);
});
