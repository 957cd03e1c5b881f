/** Nexmark query 1, currency conversion: each bid's price from dollars to euros, column by column. */
import * as arrow from "apache-arrow";
import type { PCollection } from "../../../sdk/pcollection";
import { mapBatches } from "../../../sdk/pardo";
import { BID_SCHEMA, type Bid } from "../bid";

const PRICE = BID_SCHEMA.fields.findIndex((f) => f.name === "price");

/** Bids with their price in euro cents: Beam's `price * 89 / 100`, in integer cents. */
export function query1(bids: PCollection<Bid>): PCollection<Bid> {
  return bids.apply(
    "Query1",
    mapBatches<Bid, Bid>(
      (batch) => {
        const prices = batch.getChildAt(PRICE)!.data[0].values as Float64Array;
        const n = batch.numRows;
        const euros = new Float64Array(n);
        for (let i = 0; i < n; i++) euros[i] = Math.floor((prices[i] * 89) / 100);
        const children = batch.data.children.slice();
        children[PRICE] = arrow.makeData({ type: new arrow.Float64(), length: n, nullCount: 0, data: euros });
        return new arrow.RecordBatch(batch.schema, arrow.makeData({ type: new arrow.Struct(batch.schema.fields), length: n, nullCount: 0, children }));
      },
      { schema: BID_SCHEMA },
    ),
  );
}
