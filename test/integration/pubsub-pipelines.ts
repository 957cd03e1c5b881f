/**
 * Pub/Sub pipelines the integration tests run in processes of their own (so they can be killed):
 * definitions only, no tests.
 */
import { definePipeline, option, readPubSub, writeText } from "beamline";

/** Reads `max` distinct messages (by attribute `id`, event time from attribute `ts`) and writes `data@eventTime` lines. */
export default definePipeline({
  options: {
    subscription: option.string("the subscription, projects/P/subscriptions/S", { default: "" }),
    output: option.string("output prefix", { default: "out/pubsub" }),
    max: option.integer("messages to read", { default: 1 }),
  },
  build(p, { subscription, output, max }) {
    p.apply("Read", readPubSub({ subscription, idAttribute: "id", timestampAttribute: "ts", maxMessages: max }))
      .map((data: string, { timestamp }) => `${data}@${timestamp}`, { name: "Stamp" })
      .apply("Write", writeText(output, { numShards: 2 }));
  },
});
