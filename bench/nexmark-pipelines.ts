/**
 * The Nexmark queries as one pipeline definition, for the benchmark: `query` picks the query,
 * `events` the bounded run's size. Every query's output ends in a step that counts its rows (the
 * `results` counter) and keeps none, as Beam's Nexmark launcher counts and discards results, so a run
 * measures the query, not a sink. Worker threads load this module again and rebuild the same graph.
 */
import { definePipeline } from "../sdk/definition";
import { metrics } from "../sdk/metrics";
import { option } from "../sdk/options";
import { mapBatches } from "../sdk/pardo";
import type { PCollection } from "../sdk/pcollection";
import { readNexmark } from "../transforms/nexmark/source";
import { DEFAULT_QUERY_PARAMS as P } from "../transforms/nexmark/queries/params";
import { query0 } from "../transforms/nexmark/queries/query0";
import { query1 } from "../transforms/nexmark/queries/query1";
import { query2 } from "../transforms/nexmark/queries/query2";
import { query3 } from "../transforms/nexmark/queries/query3";
import { query4 } from "../transforms/nexmark/queries/query4";
import { query5 } from "../transforms/nexmark/queries/query5";
import { query6 } from "../transforms/nexmark/queries/query6";
import { query7 } from "../transforms/nexmark/queries/query7";
import { query8 } from "../transforms/nexmark/queries/query8";
import { query11 } from "../transforms/nexmark/queries/query11";
import { query12 } from "../transforms/nexmark/queries/query12";
import type { NexmarkStreams } from "../transforms/nexmark/source";

/** The queries the benchmark runs, in order. */
export const NEXMARK_QUERIES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "11", "12"] as const;

/** The transform name of the counting step; its `results` counter is the query's output rows. */
export const RESULTS_STEP = "CountResults";

const QUERIES: Record<string, (e: NexmarkStreams) => PCollection<any>[]> = {
  "0": (e) => Object.values(query0(e)),
  "1": (e) => [query1(e.bid)],
  "2": (e) => [query2(e.bid, P.auctionSkip)],
  "3": (e) => [query3(e.person, e.auction)],
  "4": (e) => [query4(e.auction, e.bid, P)],
  "5": (e) => [query5(e.bid, P)],
  "6": (e) => [query6(e.auction, e.bid)],
  "7": (e) => [query7(e.bid, P)],
  "8": (e) => [query8(e.person, e.auction, P)],
  "11": (e) => [query11(e.bid, P)],
  "12": (e) => [query12(e.bid, P)],
};

/** readNexmark({ maxEvents: events }) → query `query` → a step counting its rows. */
export const nexmarkPipeline = definePipeline({
  options: {
    query: option.string("the Nexmark query (0-8, 11, 12)", { default: "0" }),
    events: option.integer("events to generate", { default: 100_000 }),
  },
  build(p, { query, events }) {
    const outputs = QUERIES[query](p.apply("Events", readNexmark({ maxEvents: events })));
    outputs.forEach((out, i) =>
      out.apply(
        `${RESULTS_STEP}${i || ""}`,
        mapBatches((batch) => {
          metrics.counter("results").inc(batch.numRows);
          return batch.slice(0, 0);
        }),
      ),
    );
  },
});
