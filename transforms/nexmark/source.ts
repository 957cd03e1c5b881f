/**
 * The Nexmark source: a bounded stream of people, auctions and bids in event time, read as three
 * outputs. It splits into the generator's parts (always the same ones, so results do not depend on
 * the parallelism), each read in batches; a part's position is the count of its events emitted and
 * how many of the current range's three outputs went out, so a checkpoint resumes it exactly.
 */
import type * as arrow from "apache-arrow";
import { GLOBAL_WINDOWS } from "../../sdk/batch";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import { READ_URN, type ReadContext, type Source, type SourceChunk } from "../../sdk/source";
import { PBegin, PTransform, type ExpandContext } from "../../sdk/transform";
import { AUCTION_SCHEMA, type Auction } from "./auction";
import { BID_SCHEMA, type Bid } from "./bid";
import { generatorConfig, splitGenerators, type GeneratorConfig, type GeneratorPart, type NexmarkOptions } from "./config";
import { generateEvents } from "./generator";
import { PERSON_SCHEMA, type Person } from "./person";

/** The outputs of {@link readNexmark}. */
export type NexmarkStreams = {
  readonly person: PCollection<Person>;
  readonly auction: PCollection<Auction>;
  readonly bid: PCollection<Bid>;
};

/** Where a part got to: events `[at, to)` are being emitted, and the first `sent` of the three outputs went out. */
interface Position {
  readonly at: number;
  readonly to: number;
  readonly sent: number;
}

const KINDS = ["person", "auction", "bid"] as const;

/** The source of {@link readNexmark}. */
export class NexmarkSource implements Source {
  readonly boundedness = "bounded" as const;
  constructor(readonly config: GeneratorConfig) {}

  /** The generator's parts, whatever `desiredParts` is: event times depend on how a run is split. */
  async split(_desiredParts?: number): Promise<JsonValue[]> {
    return splitGenerators(this.config) as unknown as JsonValue[];
  }

  async *read(partJson: JsonValue, from: JsonValue | null, ctx?: ReadContext): AsyncIterable<SourceChunk> {
    const part = partJson as unknown as GeneratorPart;
    const { batchSize, ratePerSecond } = this.config;
    const partRate = ratePerSecond === null ? null : ratePerSecond / splitGenerators(this.config).length;
    let pos = (from as unknown as Position | null) ?? { at: 0, to: 0, sent: 3 };
    const t0 = ctx ? ctx.processingTime() : Date.now();
    const first = pos.sent === 3 ? pos.to : pos.at;
    while (pos.sent < 3 || pos.to < part.maxEvents) {
      if (ctx?.cancelled) return;
      if (pos.sent === 3) {
        let to = Math.min(part.maxEvents, pos.to + batchSize);
        if (partRate !== null) {
          const elapsed = (ctx ? ctx.processingTime() : Date.now()) - t0;
          const due = first + Math.floor((elapsed * partRate) / 1000);
          if (due <= pos.to) {
            const wait = Math.max(1, Math.ceil(((pos.to + 1 - first) * 1000) / partRate - elapsed));
            if (!(await pause(ctx, wait))) return;
            continue;
          }
          to = Math.min(to, due);
        }
        pos = { at: pos.to, to, sent: 0 };
      }
      const events = generateEvents(this.config, part, pos.at, pos.to);
      for (let k = pos.sent; k < 3; k++) {
        const kind = KINDS[k];
        const data: arrow.RecordBatch = events[kind].batch();
        const timestamps = events[kind].dateTime.values.subarray(0, data.numRows);
        pos = { at: pos.at, to: pos.to, sent: k + 1 };
        const last = k === 2;
        yield {
          tag: kind,
          batch: { data, timestamps, windows: GLOBAL_WINDOWS },
          position: pos as unknown as JsonValue,
          ...(last && events.watermark !== Infinity ? { watermark: events.watermark } : {}),
        };
      }
    }
  }
}

async function pause(ctx: ReadContext | undefined, ms: number): Promise<boolean> {
  if (ctx) return ctx.sleep(ms);
  await new Promise((r) => setTimeout(r, ms));
  return true;
}

/**
 * Beam's Nexmark event generator as a source: `maxEvents` people, auctions and bids (1:3:46), each
 * stamped with its event time, deterministic for the options, optionally paced to `ratePerSecond`.
 *
 * @example
 * const { person, auction, bid } = p.apply("Events", readNexmark({ maxEvents: 10_000 }));
 */
export function readNexmark(options: NexmarkOptions = {}): PTransform<PBegin, NexmarkStreams> {
  const config = generatorConfig(options);
  const source = new NexmarkSource(config);
  return new (class extends PTransform<PBegin, NexmarkStreams> {
    expand(_input: PBegin, ctx: ExpandContext): NexmarkStreams {
      const outputs = ctx.primitive({
        urn: READ_URN,
        payload: { source: "nexmark", ...config, ratePerSecond: config.ratePerSecond },
        inputs: {},
        outputs: {
          person: { schema: PERSON_SCHEMA, bounded: true },
          auction: { schema: AUCTION_SCHEMA, bounded: true },
          bid: { schema: BID_SCHEMA, bounded: true },
        },
        fn: source,
      });
      return { person: outputs.person as PCollection<Person>, auction: outputs.auction as PCollection<Auction>, bid: outputs.bid as PCollection<Bid> };
    }
  })("ReadNexmark");
}
