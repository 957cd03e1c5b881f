/**
 * A pipeline that takes a few seconds on a portable runner (each row waits 1 ms in `Slow`, each count
 * 400 ms in `Settle`, a stage after the first one's bundles completed), for the
 * web UI's portable test, run with `beamline run` in a PROCESS environment (the workers are processes of
 * their own, as on a cluster, so the submitting process only follows the job and serves the page).
 */
import { count, create, definePipeline, groupBy, option } from "beamline";

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Rows through a slow function, counted per key. */
export default definePipeline({
  options: { rows: option.integer("how many rows", { default: 3000 }) },
  build(p, { rows }) {
    p.apply("Rows", create(Array.from({ length: rows }, (_, i) => ({ n: i }))))
      .map(
        (r: { n: number }) => {
          Atomics.wait(pause, 0, 0, 1);
          return { k: r.n % 10 };
        },
        { name: "Slow" },
      )
      .apply("Count", groupBy<{ k: number }>("k").aggregate({ c: count() }))
      .map(
        (r: Record<string, unknown>) => {
          Atomics.wait(pause, 0, 0, 400);
          return r;
        },
        { name: "Settle" },
      );
  },
});
