/**
 * Pipelines the metrics tests run; worker threads load this module again, so it declares only
 * definitions (no tests).
 */
import { countPerElement, definePipeline, fixedWindows, generateSequence, metrics, option, windowInto } from "beamline";

const seen = metrics.counter("seen", "demo");
const digits = metrics.distribution("lastDigit", "demo");
const latest = metrics.gauge("latest", "demo");

/**
 * Numbers (`to` of them, or endless when `to` is 0; `rate` a second, or as fast as possible when 0),
 * observed by user metrics, then counted per last digit in one-second windows: a keyed stage, so rows
 * cross threads at parallelism 2.
 */
export const observedNumbers = definePipeline({
  options: {
    to: option.integer("how many numbers; 0: endless", { default: 20000 }),
    rate: option.integer("numbers per second; 0: as fast as possible", { default: 0 }),
  },
  build(p, { to, rate }) {
    p.apply("Numbers", generateSequence({ ...(to > 0 ? { to } : {}), ...(rate > 0 ? { ratePerSecond: rate } : {}), batchSize: 1000 }))
      .map(
        (n: number) => {
          seen.inc();
          digits.update(n % 10);
          latest.set(n);
          return n % 10;
        },
        { name: "Observe" },
      )
      .apply("Seconds", windowInto(fixedWindows("1s")))
      .apply("PerDigit", countPerElement<number>());
  },
});
