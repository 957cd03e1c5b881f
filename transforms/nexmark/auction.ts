/** New-auction events (Beam's AuctionGenerator): ids, and columns filled one auction at a time. */
import * as arrow from "apache-arrow";
import { NumberColumn, StringColumn, recordBatch } from "./columns";
import {
  AUCTION_PROPORTION, FIRST_AUCTION_ID, FIRST_CATEGORY_ID, FIRST_PERSON_ID, PERSON_PROPORTION, PROPORTION_DENOMINATOR,
  adjustedEventNumber, timestampForEvent, type GeneratorConfig,
} from "./config";
import type { JavaRandom } from "./java-random";
import { lastBase0PersonId, nextBase0PersonId } from "./person";
import { nextPrice } from "./price";
import { nextExtra, nextString } from "./strings";

/** Categories are few, so small runs find results. */
export const NUM_CATEGORIES = 5;
const AUCTION_ID_LEAD = 10;
const HOT_SELLER_RATIO = 100;

const NUMBER_FIELDS = new Set(["id", "initialBid", "reserve", "dateTime", "expires", "seller", "category"]);
/** The schema of auction events. */
export const AUCTION_SCHEMA = new arrow.Schema(
  ["id", "itemName", "description", "initialBid", "reserve", "dateTime", "expires", "seller", "category", "extra"].map(
    (n) => new arrow.Field(n, NUMBER_FIELDS.has(n) ? new arrow.Float64() : new arrow.Utf8(), true),
  ),
);

/** An auction event as a row. */
export interface Auction {
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

/** The last auction id (base 0) valid at event `eventId`; the new auction's id when the event is an auction. */
export function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.floor(eventId / PROPORTION_DENOMINATOR);
  let offset = eventId % PROPORTION_DENOMINATOR;
  if (offset < PERSON_PROPORTION) {
    epoch--;
    offset = AUCTION_PROPORTION - 1;
  } else if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) {
    offset = AUCTION_PROPORTION - 1;
  } else {
    offset -= PERSON_PROPORTION;
  }
  return epoch * AUCTION_PROPORTION + offset;
}

/** A random auction id (base 0) among those likely still in flight, plus a few ahead. */
export function nextBase0AuctionId(eventId: number, random: JavaRandom, config: GeneratorConfig): number {
  const max = lastBase0AuctionId(eventId);
  const min = Math.max(max - config.numInFlightAuctions, 0);
  return min + random.nextInt(max - min + 1 + AUCTION_ID_LEAD);
}

/** Columns of auction events under construction. */
export class AuctionColumns {
  readonly id: NumberColumn;
  readonly itemName: StringColumn;
  readonly description: StringColumn;
  readonly initialBid: NumberColumn;
  readonly reserve: NumberColumn;
  readonly dateTime: NumberColumn;
  readonly expires: NumberColumn;
  readonly seller: NumberColumn;
  readonly category: NumberColumn;
  readonly extra: StringColumn;
  constructor(capacity: number, avgBytes: number) {
    this.id = new NumberColumn(capacity);
    this.itemName = new StringColumn(capacity, 12);
    this.description = new StringColumn(capacity, 52);
    this.initialBid = new NumberColumn(capacity);
    this.reserve = new NumberColumn(capacity);
    this.dateTime = new NumberColumn(capacity);
    this.expires = new NumberColumn(capacity);
    this.seller = new NumberColumn(capacity);
    this.category = new NumberColumn(capacity);
    this.extra = new StringColumn(capacity, avgBytes);
  }
  /** Rows written so far. */
  get length(): number {
    return this.id.length;
  }
  /** The rows as a record batch of {@link AUCTION_SCHEMA}. */
  batch(): arrow.RecordBatch {
    const c = [this.id, this.itemName, this.description, this.initialBid, this.reserve, this.dateTime, this.expires, this.seller, this.category, this.extra];
    return recordBatch(AUCTION_SCHEMA, c.map((x) => x.data()));
  }
}

/**
 * Writes the auction of event `eventId` at event time `timestamp`; `eventsCountSoFar` (the
 * generator's count) sets how long the auction runs, as in Beam.
 */
export function nextAuction(eventsCountSoFar: number, eventId: number, random: JavaRandom, timestamp: number, config: GeneratorConfig, out: AuctionColumns): void {
  out.id.push(lastBase0AuctionId(eventId) + FIRST_AUCTION_ID);
  const seller = random.nextInt(config.hotSellersRatio) > 0
    ? Math.floor(lastBase0PersonId(eventId) / HOT_SELLER_RATIO) * HOT_SELLER_RATIO
    : nextBase0PersonId(eventId, random, config);
  out.seller.push(seller + FIRST_PERSON_ID);
  out.category.push(FIRST_CATEGORY_ID + random.nextInt(NUM_CATEGORIES));
  const initialBid = nextPrice(random);
  out.initialBid.push(initialBid);
  out.dateTime.push(timestamp);
  out.expires.push(timestamp + nextAuctionLengthMs(eventsCountSoFar, random, timestamp, config));
  const nameStart = out.itemName.size;
  nextString(random, 20, out.itemName);
  const nameLength = out.itemName.size - nameStart;
  out.itemName.end();
  const descStart = out.description.size;
  nextString(random, 100, out.description);
  const descLength = out.description.size - descStart;
  out.description.end();
  out.reserve.push(initialBid + nextPrice(random));
  nextExtra(random, 8 + nameLength + descLength + 40, config.avgAuctionByteSize, out.extra);
  out.extra.end();
}

/** A random auction length (ms) averaging the time until `numInFlightAuctions` more auctions are made. */
function nextAuctionLengthMs(eventsCountSoFar: number, random: JavaRandom, timestamp: number, config: GeneratorConfig): number {
  const current = adjustedEventNumber(config, eventsCountSoFar);
  const eventsForAuctions = Math.floor((config.numInFlightAuctions * PROPORTION_DENOMINATOR) / AUCTION_PROPORTION);
  const horizonMs = timestampForEvent(config, current + eventsForAuctions) - timestamp;
  return 1 + random.nextInt(Math.max(horizonMs * 2, 1));
}
