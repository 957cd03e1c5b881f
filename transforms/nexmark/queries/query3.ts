/**
 * Nexmark query 3, local item suggestion: people in Oregon, Idaho or California who sell in
 * category 10, as (name, city, state, auction id). A join of people and auctions by seller, kept in
 * per-seller state (as Beam's stateful join): a person is stored until its auctions come, an auction
 * until its seller comes.
 */
import type { PCollection } from "../../../sdk/pcollection";
import { schema, t } from "../../../sdk/schema";
import { state } from "../../../sdk/state";
import { parDo } from "../../../sdk/pardo";
import { flatten } from "../../windowing";
import type { Auction } from "../auction";
import type { Person } from "../person";
import type { KV } from "../../../sdk/kv";

/** The rows of query 3. */
export const NAME_CITY_STATE_ID = schema({ name: t.string(), city: t.string(), state: t.string(), id: t.float64() });

/** A person or an auction, keyed by seller: `name` is null for an auction. */
interface SellerEvent {
  name: string | null;
  city: string | null;
  state: string | null;
  auction: number | null;
}

const SELLER_EVENT = schema({ key: t.float64(), value: t.struct({ name: t.string(), city: t.string(), state: t.string(), auction: t.float64() }) });

/** Sellers in OR, ID or CA with their auctions in category 10. */
export function query3(person: PCollection<Person>, auction: PCollection<Auction>): PCollection<{ name: string; city: string; state: string; id: number }> {
  const people = person
    .filter((p) => p.state === "OR" || p.state === "ID" || p.state === "CA", { name: "Query3.InState" })
    .map((p): KV<number, SellerEvent> => ({ key: p.id, value: { name: p.name, city: p.city, state: p.state, auction: null } }), { name: "Query3.PersonBySeller", schema: SELLER_EVENT });
  const auctions = auction
    .filter((a) => a.category === 10, { name: "Query3.InCategory" })
    .map((a): KV<number, SellerEvent> => ({ key: a.seller, value: { name: null, city: null, state: null, auction: a.id } }), { name: "Query3.AuctionBySeller", schema: SELLER_EVENT });
  return flatten([people, auctions], "Query3.Both").apply(
    "Query3.Join",
    parDo(
      {
        state: { person: state.value<SellerEvent>(), auctions: state.bag<number>() },
        process(row: KV<number, SellerEvent>, ctx) {
          const v = row.value;
          const seller = ctx.state.person.read();
          if (v.name !== null) {
            if (seller) return; // a person comes once; Beam keeps the first
            ctx.state.person.write(v);
            for (const id of ctx.state.auctions.read()) ctx.output({ name: v.name, city: v.city!, state: v.state!, id });
            ctx.state.auctions.clear();
          } else if (seller) {
            ctx.output({ name: seller.name!, city: seller.city!, state: seller.state!, id: v.auction! });
          } else {
            ctx.state.auctions.add(v.auction!);
          }
        },
      },
      { schema: NAME_CITY_STATE_ID },
    ),
  );
}
