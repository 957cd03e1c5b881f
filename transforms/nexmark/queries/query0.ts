/** Nexmark query 0, pass-through: every event goes through an element-wise step unchanged (the cost of the source and of a step). */
import type { PCollection } from "../../../sdk/pcollection";
import { mapBatches } from "../../../sdk/pardo";
import type { NexmarkStreams } from "../source";

/** Passes people, auctions and bids through unchanged. */
export function query0(events: NexmarkStreams): NexmarkStreams {
  const through = <T>(pc: PCollection<T>, name: string) => pc.apply(name, mapBatches<T, T>((batch) => batch, { schema: pc.schema ?? undefined }));
  return { person: through(events.person, "Query0.Person"), auction: through(events.auction, "Query0.Auction"), bid: through(events.bid, "Query0.Bid") };
}
