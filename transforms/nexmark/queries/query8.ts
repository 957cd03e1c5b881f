/** Nexmark query 8, monitor new users: people who opened an auction in the same fixed window as they joined. */
import type { PCollection } from "../../../sdk/pcollection";
import { schema, t } from "../../../sdk/schema";
import { fixedWindows } from "../../../sdk/window";
import { innerJoin } from "../../join";
import { windowInto } from "../../windowing";
import type { Auction } from "../auction";
import type { Person } from "../person";
import type { QueryParams } from "./params";

/** The rows of query 8. */
export const ID_NAME_RESERVE = schema({ id: t.float64(), name: t.string(), reserve: t.float64(), windowStart: t.float64() });
const PERSON_SIDE = schema({ id: t.float64(), name: t.string() });
const AUCTION_SIDE = schema({ id: t.float64(), reserve: t.float64() });

/** Per fixed window of `windowSizeSec`, each new person with each auction they opened in it, as (id, name, reserve). */
export function query8(person: PCollection<Person>, auction: PCollection<Auction>, params: QueryParams): PCollection<{ id: number; name: string; reserve: number; windowStart: number }> {
  const size = params.windowSizeSec * 1000;
  const people = person
    .map((p) => ({ id: p.id, name: p.name }), { name: "Query8.Person", schema: PERSON_SIDE })
    .apply("Query8.PersonWindow", windowInto(fixedWindows(size)));
  const auctions = auction
    .map((a) => ({ id: a.seller, reserve: a.reserve }), { name: "Query8.Auction", schema: AUCTION_SIDE })
    .apply("Query8.AuctionWindow", windowInto(fixedWindows(size)));
  return innerJoin(people, auctions, { on: "id", name: "Query8.Join" }).map(
    (r, { window }) => ({ id: r.id as number, name: r.name as string, reserve: r.reserve as number, windowStart: window.start }),
    { name: "Query8.Result", schema: ID_NAME_RESERVE },
  );
}
