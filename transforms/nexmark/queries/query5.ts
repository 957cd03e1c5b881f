/** Nexmark query 5, hot items: per sliding window, the auctions with the most bids. */
import type { PCollection } from "../../../sdk/pcollection";
import { schema, t } from "../../../sdk/schema";
import { slidingWindows } from "../../../sdk/window";
import { count } from "../../combiners";
import { groupBy } from "../../group";
import { windowInto } from "../../windowing";
import type { Bid } from "../bid";
import type { QueryParams } from "./params";

/** The rows of query 5. */
export const AUCTION_COUNT = schema({ auction: t.float64(), num: t.float64(), windowStart: t.float64() });
const COUNTED = schema({ all: t.float64(), auction: t.float64(), num: t.float64() });

/** Per sliding window (size `windowSizeSec`, every `windowPeriodSec`), every auction whose bid count is the window's highest. */
export function query5(bid: PCollection<Bid>, params: QueryParams): PCollection<{ auction: number; num: number; windowStart: number }> {
  return bid
    .apply("Query5.Window", windowInto(slidingWindows(params.windowSizeSec * 1000, params.windowPeriodSec * 1000)))
    .apply("Query5.Count", groupBy("auction").aggregate({ num: count() }))
    .map((r) => ({ all: 0, auction: r.auction as number, num: r.num as number }), { name: "Query5.Key", schema: COUNTED })
    .apply("Query5.PerWindow", groupBy<{ all: number; auction: number; num: number }>("all"))
    .flatMap(
      (g, { window }) => {
        let top = 0;
        for (const r of g.values) if (r.num > top) top = r.num;
        return g.values.filter((r) => r.num === top).map((r) => ({ auction: r.auction, num: r.num, windowStart: window.start }));
      },
      { name: "Query5.Top", schema: AUCTION_COUNT },
    );
}
