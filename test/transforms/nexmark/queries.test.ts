/**
 * Nexmark queries 0–8, 11 and 12 on a small run, each checked against the same answer computed in
 * plain TypeScript over the same generated events (loops over arrays, no Beamline transform).
 */
import { collect, Pipeline, readNexmark, runPipeline, type Collected, type NexmarkAuction, type NexmarkBid, type NexmarkOptions, type NexmarkPerson } from "beamline";
import { generatorConfig, splitGenerators } from "../../../transforms/nexmark/config";
import { generateEvents } from "../../../transforms/nexmark/generator";
import { DEFAULT_QUERY_PARAMS as P } from "../../../transforms/nexmark/queries/params";
import { query0 } from "../../../transforms/nexmark/queries/query0";
import { query1 } from "../../../transforms/nexmark/queries/query1";
import { query2 } from "../../../transforms/nexmark/queries/query2";
import { query3 } from "../../../transforms/nexmark/queries/query3";
import { query4 } from "../../../transforms/nexmark/queries/query4";
import { query5 } from "../../../transforms/nexmark/queries/query5";
import { query6 } from "../../../transforms/nexmark/queries/query6";
import { query7 } from "../../../transforms/nexmark/queries/query7";
import { query8 } from "../../../transforms/nexmark/queries/query8";
import { query11 } from "../../../transforms/nexmark/queries/query11";
import { query12 } from "../../../transforms/nexmark/queries/query12";
import { sorted } from "../../helpers";

// 100 events/s of event time over 2 generators: 6000 events span 60 s, so 10 s windows hold a few hundred each.
const OPTIONS: NexmarkOptions = { maxEvents: 6000, eventRate: 100, numEventGenerators: 2, batchSize: 700 };
const SIZE = P.windowSizeSec * 1000;
const PERIOD = P.windowPeriodSec * 1000;

/** The generated events as plain rows, straight from the generator. */
function events(): { person: NexmarkPerson[]; auction: NexmarkAuction[]; bid: NexmarkBid[] } {
  const config = generatorConfig(OPTIONS);
  const out = { person: [] as NexmarkPerson[], auction: [] as NexmarkAuction[], bid: [] as NexmarkBid[] };
  for (const part of splitGenerators(config)) {
    const g = generateEvents(config, part, 0, part.maxEvents);
    out.person.push(...(g.person.batch().toArray().map((r) => r.toJSON()) as NexmarkPerson[]));
    out.auction.push(...(g.auction.batch().toArray().map((r) => r.toJSON()) as NexmarkAuction[]));
    out.bid.push(...(g.bid.batch().toArray().map((r) => r.toJSON()) as NexmarkBid[]));
  }
  return out;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const fixedStart = (t: number) => Math.floor(t / SIZE) * SIZE;
function slidingStarts(t: number): number[] {
  const starts: number[] = [];
  for (let s = Math.floor(t / PERIOD) * PERIOD; s > t - SIZE; s -= PERIOD) starts.push(s);
  return starts;
}
function groupInto<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

function refWinningBids(auction: NexmarkAuction[], bid: NexmarkBid[]) {
  const byAuction = groupInto(bid, (b) => String(b.auction));
  const out: { auction: number; seller: number; category: number; expires: number; price: number }[] = [];
  for (const a of auction) {
    let best: NexmarkBid | null = null;
    for (const b of byAuction.get(String(a.id)) ?? []) {
      if (b.dateTime < a.dateTime || b.dateTime >= a.expires || b.price < a.reserve) continue;
      if (!best || b.price > best.price || (b.price === best.price && b.dateTime < best.dateTime)) best = b;
    }
    if (best) out.push({ auction: a.id, seller: a.seller, category: a.category, expires: a.expires, price: best.price });
  }
  return out;
}

type Row = Record<string, unknown>;
const results: Record<string, Collected<Row>> = {};
let input: ReturnType<typeof events>;

beforeAll(async () => {
  input = events();
  const p = new Pipeline();
  const { person, auction, bid } = p.apply("Events", readNexmark(OPTIONS));
  const q0 = query0({ person, auction, bid });
  results.q0 = collect(q0.bid as never, "Q0Bids");
  results.q0people = collect(q0.person as never, "Q0People");
  results.q1 = collect(query1(bid) as never, "Q1");
  results.q2 = collect(query2(bid, P.auctionSkip) as never, "Q2");
  results.q3 = collect(query3(person, auction) as never, "Q3");
  results.q4 = collect(query4(auction, bid, P) as never, "Q4");
  results.q5 = collect(query5(bid, P) as never, "Q5");
  results.q6 = collect(query6(auction, bid) as never, "Q6");
  results.q7 = collect(query7(bid, P) as never, "Q7");
  results.q8 = collect(query8(person, auction, P) as never, "Q8");
  results.q11 = collect(query11(bid, P) as never, "Q11");
  results.q12 = collect(query12(bid, P) as never, "Q12");
  await runPipeline(p, { parallelism: 1 });
}, 120_000);

test("the run is big enough for every query to say something", () => {
  expect([input.person.length, input.auction.length, input.bid.length]).toEqual([120, 360, 5520]);
  for (const [name, c] of Object.entries(results)) expect([name, c.rows.length > 0]).toEqual([name, true]);
});

test("query 0 passes every event through unchanged", () => {
  expect(sorted(results.q0.rows)).toEqual(sorted(input.bid));
  expect(sorted(results.q0people.rows)).toEqual(sorted(input.person));
});

test("query 1 converts every bid's price to euro cents", () => {
  expect(sorted(results.q1.rows)).toEqual(sorted(input.bid.map((b) => ({ ...b, price: Math.floor((b.price * 89) / 100) }))));
});

test("query 2 selects the bids on every 123rd auction", () => {
  const expected = input.bid.filter((b) => b.auction % 123 === 0).map((b) => ({ auction: b.auction, price: b.price }));
  expect(expected.length).toBeGreaterThan(0);
  expect(sorted(results.q2.rows)).toEqual(sorted(expected));
});

test("query 3 finds the sellers in OR, ID and CA of category-10 auctions, whichever came first", () => {
  const people = new Map(input.person.filter((p) => ["OR", "ID", "CA"].includes(p.state)).map((p) => [p.id, p]));
  const expected = input.auction.filter((a) => a.category === 10 && people.has(a.seller)).map((a) => {
    const p = people.get(a.seller)!;
    return { name: p.name, city: p.city, state: p.state, id: a.id };
  });
  expect(expected.length).toBeGreaterThan(0);
  expect(sorted(results.q3.rows)).toEqual(sorted(expected));
});

test("query 4 averages the winning prices per category in sliding windows", () => {
  const cells = new Map<string, number[]>();
  for (const w of refWinningBids(input.auction, input.bid)) {
    for (const s of slidingStarts(w.expires - 1)) {
      const k = `${w.category}|${s}`;
      if (!cells.has(k)) cells.set(k, []);
      cells.get(k)!.push(w.price);
    }
  }
  const expected = [...cells].map(([k, prices]) => {
    const [category, windowStart] = k.split("|").map(Number);
    return { category, price: round(prices.reduce((a, b) => a + b, 0) / prices.length), windowStart };
  });
  expect(sorted(results.q4.rows.map((r) => ({ ...r, price: round(r.price as number) })))).toEqual(sorted(expected));
});

test("query 5 finds the auctions with the most bids per sliding window", () => {
  const counts = new Map<number, Map<number, number>>();
  for (const b of input.bid) {
    for (const s of slidingStarts(b.dateTime)) {
      if (!counts.has(s)) counts.set(s, new Map());
      const m = counts.get(s)!;
      m.set(b.auction, (m.get(b.auction) ?? 0) + 1);
    }
  }
  const expected: Row[] = [];
  for (const [windowStart, m] of counts) {
    const top = Math.max(...m.values());
    for (const [auction, num] of m) if (num === top) expected.push({ auction, num, windowStart });
  }
  expect(sorted(results.q5.rows)).toEqual(sorted(expected));
});

test("query 6 averages each seller's last 10 winning prices", () => {
  const expected = [...groupInto(refWinningBids(input.auction, input.bid), (w) => String(w.seller))].map(([seller, ws]) => {
    const last = ws.sort((a, b) => a.expires - b.expires || a.auction - b.auction).slice(-10);
    return { seller: Number(seller), price: round(last.reduce((s, w) => s + w.price, 0) / last.length) };
  });
  expect(expected.length).toBeGreaterThan(0);
  expect(sorted(results.q6.rows.map((r) => ({ ...r, price: round(r.price as number) })))).toEqual(sorted(expected));
});

test("query 7 keeps the highest bids of each fixed window", () => {
  const expected: Row[] = [];
  for (const [start, bids] of groupInto(input.bid, (b) => String(fixedStart(b.dateTime)))) {
    const top = Math.max(...bids.map((b) => b.price));
    for (const b of bids) if (b.price === top) expected.push({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, windowStart: Number(start) });
  }
  expect(sorted(results.q7.rows)).toEqual(sorted(expected));
});

test("query 8 pairs each new person with the auctions they opened in the same fixed window", () => {
  const expected: Row[] = [];
  for (const p of input.person) {
    for (const a of input.auction) {
      if (a.seller === p.id && fixedStart(a.dateTime) === fixedStart(p.dateTime)) expected.push({ id: p.id, name: p.name, reserve: a.reserve, windowStart: fixedStart(p.dateTime) });
    }
  }
  expect(expected.length).toBeGreaterThan(0);
  expect(sorted(results.q8.rows)).toEqual(sorted(expected));
});

test("query 11 counts each bidder's bids per session", () => {
  const expected: Row[] = [];
  for (const [bidder, bids] of groupInto(input.bid, (b) => String(b.bidder))) {
    const times = bids.map((b) => b.dateTime).sort((a, b) => a - b);
    let start = times[0];
    let end = times[0] + SIZE;
    let n = 0;
    for (const t of times) {
      if (t >= end) {
        expected.push({ bidder: Number(bidder), bidCount: n, windowStart: start, windowEnd: end });
        start = t;
        n = 0;
      }
      n++;
      end = Math.max(end, t + SIZE);
    }
    expected.push({ bidder: Number(bidder), bidCount: n, windowStart: start, windowEnd: end });
  }
  expect(sorted(results.q11.rows)).toEqual(sorted(expected));
});

test("query 12's processing-time panes add up to each bidder's bids", () => {
  const totals = new Map<number, number>();
  for (const r of results.q12.rows) totals.set(r.bidder as number, (totals.get(r.bidder as number) ?? 0) + (r.bidCount as number));
  const expected = new Map<number, number>();
  for (const b of input.bid) expected.set(b.bidder, (expected.get(b.bidder) ?? 0) + 1);
  expect(sorted([...totals])).toEqual(sorted([...expected]));
});
