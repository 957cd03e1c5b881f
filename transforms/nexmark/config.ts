/**
 * The Nexmark generator's configuration, after Beam's NexmarkConfiguration defaults and
 * GeneratorConfig: event proportions, id bases, the constant inter-event delay, and how a run of
 * `maxEvents` splits into generators with parallel timelines (each part its own event ids, the same
 * event numbers, so event time is the same whatever the parallelism).
 */
import { OptionError } from "../../sdk/errors";

/** People, auctions and bids per 50 events, as in Beam. */
export const PERSON_PROPORTION = 1;
/** Auctions per 50 events. */
export const AUCTION_PROPORTION = 3;
/** Bids per 50 events. */
export const BID_PROPORTION = 46;
/** The length of the repeating person/auction/bid cycle of event ids. */
export const PROPORTION_DENOMINATOR = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;
/** The first person id (ids start high so small runs still find matches). */
export const FIRST_PERSON_ID = 1000;
/** The first auction id. */
export const FIRST_AUCTION_ID = 1000;
/** The first category id. */
export const FIRST_CATEGORY_ID = 10;
/** Beam's NexmarkUtils.BASE_TIME: the event time of the first event, 2015-07-15T00:00:00Z. */
export const BASE_TIME = Date.UTC(2015, 6, 15);

/** The options of the Nexmark generator; every one has Beam's default. */
export interface NexmarkOptions {
  /** Events to generate in all (the run is bounded). Default 100000. */
  readonly maxEvents?: number;
  /** Events per second of event time over all generators. Default 10000 (Beam's firstEventRate). */
  readonly eventRate?: number;
  /** Generators with parallel timelines: the parts the source splits into. Default 100. */
  readonly numEventGenerators?: number;
  /** Event time of the first event (ms). Default {@link BASE_TIME}. */
  readonly baseTime?: number;
  /** Emit at most this many events per second of processing time over all parts; absent for as fast as possible. */
  readonly ratePerSecond?: number;
  /** Events per batch. Default 8192. */
  readonly batchSize?: number;
  /** Average size of a person event in bytes (the `extra` field pads to it). Default 200. */
  readonly avgPersonByteSize?: number;
  /** Average size of an auction event in bytes. Default 500. */
  readonly avgAuctionByteSize?: number;
  /** Average size of a bid event in bytes. Default 100. */
  readonly avgBidByteSize?: number;
  /** One in this many bids goes to a hot auction's complement (Beam's hotAuctionRatio). Default 2. */
  readonly hotAuctionRatio?: number;
  /** Beam's hotSellersRatio. Default 4. */
  readonly hotSellersRatio?: number;
  /** Beam's hotBiddersRatio. Default 4. */
  readonly hotBiddersRatio?: number;
  /** People considered active for new auctions and bids. Default 1000. */
  readonly numActivePeople?: number;
  /** Auctions in flight at once, per generator. Default 100. */
  readonly numInFlightAuctions?: number;
  /** Events whose timestamps are shuffled within a group (1: in order). Default 1. */
  readonly outOfOrderGroupSize?: number;
}

/** Options with every default filled in, and the derived inter-event delay. */
export interface GeneratorConfig extends Required<Omit<NexmarkOptions, "ratePerSecond">> {
  readonly ratePerSecond: number | null;
  /** Microseconds of event time between two events of one generator. */
  readonly interEventDelayUs: number;
}

/** One generator's share of the run: its first event id and how many events it makes. */
export interface GeneratorPart {
  readonly firstEventId: number;
  readonly maxEvents: number;
}

const DEFAULTS: Required<Omit<NexmarkOptions, "ratePerSecond">> = {
  maxEvents: 100_000,
  eventRate: 10_000,
  numEventGenerators: 100,
  baseTime: BASE_TIME,
  batchSize: 8192,
  avgPersonByteSize: 200,
  avgAuctionByteSize: 500,
  avgBidByteSize: 100,
  hotAuctionRatio: 2,
  hotSellersRatio: 4,
  hotBiddersRatio: 4,
  numActivePeople: 1000,
  numInFlightAuctions: 100,
  outOfOrderGroupSize: 1,
};

/** Fills in defaults and checks the options; a bad one is an {@link OptionError} naming it. */
export function generatorConfig(options: NexmarkOptions = {}): GeneratorConfig {
  const o = { ...DEFAULTS, ...stripUndefined(options) };
  for (const [name, value] of Object.entries(o)) {
    if (name === "ratePerSecond" || name === "baseTime") continue;
    if (!(Number.isSafeInteger(value) && (value as number) > 0 && (value as number) < 2 ** 31)) {
      throw new OptionError({ code: "BL_NEXMARK_OPTION", where: "readNexmark", value, rule: `${name} must be a positive integer below 2^31`, fix: `pass e.g. ${name}: ${(DEFAULTS as Record<string, number>)[name]}` });
    }
  }
  if (!Number.isFinite(o.baseTime)) throw new OptionError({ code: "BL_NEXMARK_OPTION", where: "readNexmark", value: o.baseTime, rule: "baseTime must be a time in ms", fix: "pass e.g. Date.UTC(2015, 6, 15)" });
  const rate = options.ratePerSecond;
  if (rate !== undefined && !(rate > 0)) throw new OptionError({ code: "BL_NEXMARK_OPTION", where: "readNexmark", value: rate, rule: "ratePerSecond must be positive", fix: "pass events per second such as 10000, or leave it out" });
  // Beam: rateToPeriodUs(rate) * numEventGenerators, with integer division.
  const interEventDelayUs = Math.floor(1_000_000 / o.eventRate) * o.numEventGenerators;
  return { ...o, ratePerSecond: rate ?? null, interEventDelayUs };
}

function stripUndefined(o: NexmarkOptions): Partial<NexmarkOptions> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}

/** Splits the run into `numEventGenerators` parts, as Beam's GeneratorConfig.split (the last takes the remainder). */
export function splitGenerators(config: GeneratorConfig): GeneratorPart[] {
  const n = Math.min(config.numEventGenerators, config.maxEvents);
  const each = Math.floor(config.maxEvents / n);
  const parts: GeneratorPart[] = [];
  for (let i = 0; i < n; i++) parts.push({ firstEventId: i * each, maxEvents: i === n - 1 ? config.maxEvents - each * (n - 1) : each });
  return parts;
}

/** The event number shuffled within its out-of-order group, as Beam's nextAdjustedEventNumber. */
export function adjustedEventNumber(config: GeneratorConfig, eventNumber: number): number {
  const n = config.outOfOrderGroupSize;
  const base = Math.floor(eventNumber / n) * n;
  return base + ((eventNumber * 953) % n);
}

/** The event number whose time is a watermark for a generator about to emit `eventNumber`. */
export function watermarkEventNumber(config: GeneratorConfig, eventNumber: number): number {
  const n = config.outOfOrderGroupSize;
  return Math.floor(eventNumber / n) * n;
}

/** The event time (ms) of event number `eventNumber` of a generator. */
export function timestampForEvent(config: GeneratorConfig, eventNumber: number): number {
  return config.baseTime + Math.floor((eventNumber * config.interEventDelayUs) / 1000);
}
