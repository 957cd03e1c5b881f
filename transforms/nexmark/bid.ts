/** Bid events (Beam's BidGenerator): mostly on hot auctions by hot bidders, columns filled one bid at a time. */
import * as arrow from "apache-arrow";
import { lastBase0AuctionId, nextBase0AuctionId } from "./auction";
import { NumberColumn, StringColumn, recordBatch } from "./columns";
import { FIRST_AUCTION_ID, FIRST_PERSON_ID, type GeneratorConfig } from "./config";
import type { JavaRandom } from "./java-random";
import { lastBase0PersonId, nextBase0PersonId } from "./person";
import { nextPrice } from "./price";
import { nextExtra } from "./strings";

const HOT_AUCTION_RATIO = 100;
const HOT_BIDDER_RATIO = 100;

/** The schema of bid events. */
export const BID_SCHEMA = new arrow.Schema(
  ["auction", "bidder", "price", "dateTime", "extra"].map((n) => new arrow.Field(n, n === "extra" ? new arrow.Utf8() : new arrow.Float64(), true)),
);

/** A bid event as a row. */
export interface Bid {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

/** Columns of bid events under construction. */
export class BidColumns {
  readonly auction: NumberColumn;
  readonly bidder: NumberColumn;
  readonly price: NumberColumn;
  readonly dateTime: NumberColumn;
  readonly extra: StringColumn;
  constructor(capacity: number, avgBytes: number) {
    this.auction = new NumberColumn(capacity);
    this.bidder = new NumberColumn(capacity);
    this.price = new NumberColumn(capacity);
    this.dateTime = new NumberColumn(capacity);
    this.extra = new StringColumn(capacity, avgBytes);
  }
  /** Rows written so far. */
  get length(): number {
    return this.auction.length;
  }
  /** The rows as a record batch of {@link BID_SCHEMA}. */
  batch(): arrow.RecordBatch {
    return recordBatch(BID_SCHEMA, [this.auction, this.bidder, this.price, this.dateTime, this.extra].map((c) => c.data()));
  }
}

/** Writes the bid of event `eventId` at event time `timestamp`. */
export function nextBid(eventId: number, random: JavaRandom, timestamp: number, config: GeneratorConfig, out: BidColumns): void {
  const auction = random.nextInt(config.hotAuctionRatio) > 0
    ? Math.floor(lastBase0AuctionId(eventId) / HOT_AUCTION_RATIO) * HOT_AUCTION_RATIO
    : nextBase0AuctionId(eventId, random, config);
  out.auction.push(auction + FIRST_AUCTION_ID);
  const bidder = random.nextInt(config.hotBiddersRatio) > 0
    ? Math.floor(lastBase0PersonId(eventId) / HOT_BIDDER_RATIO) * HOT_BIDDER_RATIO + 1
    : nextBase0PersonId(eventId, random, config);
  out.bidder.push(bidder + FIRST_PERSON_ID);
  out.price.push(nextPrice(random));
  out.dateTime.push(timestamp);
  nextExtra(random, 32, config.avgBidByteSize, out.extra);
  out.extra.end();
}
