/**
 * Beam's WinningBids, for queries 4 and 6: the winning bid of each auction, the highest bid (the
 * earliest among equal prices) placed while the auction was open, `[dateTime, expires)`, at or above
 * its reserve. Auctions with no such bid have no winner. Auctions and bids meet in per-auction state;
 * an event-time timer at the auction's end emits the winner, stamped with the auction's last instant
 * (as Beam's auction windows stamp it) and holding the watermark there until it does.
 */
import type { KV } from "../../../sdk/kv";
import { parDo } from "../../../sdk/pardo";
import type { PCollection } from "../../../sdk/pcollection";
import { schema, t } from "../../../sdk/schema";
import { state, timer } from "../../../sdk/state";
import { flatten } from "../../windowing";
import type { Auction } from "../auction";
import type { Bid } from "../bid";

/** A winning bid with its auction's seller, category and end. */
export interface WinningBid {
  auction: number;
  seller: number;
  category: number;
  expires: number;
  price: number;
  bidder: number;
  bidTime: number;
}

/** The rows of {@link winningBids}. */
export const WINNING_BID = schema({ auction: t.float64(), seller: t.float64(), category: t.float64(), expires: t.float64(), price: t.float64(), bidder: t.float64(), bidTime: t.float64() });

/** An auction (`isAuction` 1) or a bid, keyed by auction id, in one schema so both flatten together. */
interface AuctionOrBid {
  isAuction: number;
  seller: number;
  category: number;
  opens: number;
  expires: number;
  reserve: number;
  price: number;
  bidder: number;
  bidTime: number;
}
type BidPart = Pick<AuctionOrBid, "price" | "bidder" | "bidTime">;

const f = t.float64;
const AUCTION_OR_BID = schema({
  key: f(),
  value: t.struct({ isAuction: f(), seller: f(), category: f(), opens: f(), expires: f(), reserve: f(), price: f(), bidder: f(), bidTime: f() }),
});

/** Whether bid `b` counts for auction `a`, and whether it beats `best`. */
const valid = (a: AuctionOrBid, b: BidPart) => b.bidTime >= a.opens && b.bidTime < a.expires && b.price >= a.reserve;
const beats = (b: BidPart, best: BidPart | undefined) => !best || b.price > best.price || (b.price === best.price && b.bidTime < best.bidTime);

/** The winning bid of every auction that has one, when the auction ends. */
export function winningBids(name: string, auction: PCollection<Auction>, bid: PCollection<Bid>): PCollection<WinningBid> {
  const auctions = auction.map(
    (a): KV<number, AuctionOrBid> => ({ key: a.id, value: { isAuction: 1, seller: a.seller, category: a.category, opens: a.dateTime, expires: a.expires, reserve: a.reserve, price: 0, bidder: 0, bidTime: 0 } }),
    { name: `${name}.Auctions`, schema: AUCTION_OR_BID },
  );
  const bids = bid.map(
    (b): KV<number, AuctionOrBid> => ({ key: b.auction, value: { isAuction: 0, seller: 0, category: 0, opens: 0, expires: 0, reserve: 0, price: b.price, bidder: b.bidder, bidTime: b.dateTime } }),
    { name: `${name}.Bids`, schema: AUCTION_OR_BID },
  );
  return flatten([auctions, bids], `${name}.Both`).apply(
    `${name}.Decide`,
    parDo(
      {
        state: { auction: state.value<AuctionOrBid>(), early: state.bag<BidPart>(), best: state.value<BidPart>(), closed: state.value<boolean>() },
        timers: { end: timer.eventTime() },
        process(row: KV<number, AuctionOrBid>, ctx) {
          const v = row.value;
          if (ctx.state.closed.read()) return;
          if (v.isAuction) {
            if (ctx.state.auction.read()) return;
            ctx.state.auction.write(v);
            let best: BidPart | undefined;
            for (const b of ctx.state.early.read()) if (valid(v, b) && beats(b, best)) best = b;
            ctx.state.early.clear();
            if (best) ctx.state.best.write(best);
            ctx.timers.end.set(v.expires, { outputTimestamp: v.expires - 1 });
            return;
          }
          const a = ctx.state.auction.read();
          const b = { price: v.price, bidder: v.bidder, bidTime: v.bidTime };
          if (!a) ctx.state.early.add(b);
          else if (valid(a, b) && beats(b, ctx.state.best.read())) ctx.state.best.write(b);
        },
        onTimer(_timer, ctx) {
          const a = ctx.state.auction.read()!;
          const best = ctx.state.best.read();
          if (best) ctx.output({ auction: ctx.key, seller: a.seller, category: a.category, expires: a.expires, price: best.price, bidder: best.bidder, bidTime: best.bidTime });
          ctx.state.auction.clear();
          ctx.state.best.clear();
          ctx.state.closed.write(true);
        },
      },
      { schema: WINNING_BID },
    ),
  );
}
