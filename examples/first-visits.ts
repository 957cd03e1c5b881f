/**
 * First visits: a generated stream of page visits by many users, and per user a value state that
 * remembers whether the user was seen before, so that only each user's first visit goes out; the
 * number of users seen is written to `<output>-*`. With many users the state is larger than the
 * heap: `--state-backend=disk` keeps it in LMDB files instead.
 *
 *   npx beamline run examples/first-visits.ts --visits=1000000 --users=500000 --state-backend=disk
 */
import { count, definePipeline, groupBy, option, parDo, state, writeText, generateSequence, type KV } from "beamline";

export default definePipeline({
  description: "Keeps each user's first visit, with a value state per user; the state can live on disk (--state-backend=disk).",
  options: {
    visits: option.integer("visits to generate", { default: 200_000 }),
    users: option.integer("distinct users they come from", { default: 100_000 }),
    output: option.string("output prefix", { default: "out/first-visits" }),
  },
  build(p, { visits, users, output }) {
    p.apply("Visits", generateSequence({ to: visits }))
      .map((n: number) => ({ key: (n * 7919) % users, value: n }), { name: "ByUser" })
      .apply(
        "FirstVisit",
        parDo({
          state: { seen: state.value<boolean>() },
          process(visit: KV<number, number>, ctx) {
            if (ctx.state.seen.read()) return;
            ctx.state.seen.write(true);
            ctx.output({ all: 0, user: visit.key });
          },
        }),
      )
      .apply("Count", groupBy("all").aggregate({ users: count() }))
      .map((r: Record<string, unknown>) => `${r.users} users`, { name: "Line" })
      .apply("Write", writeText(output));
  },
});
