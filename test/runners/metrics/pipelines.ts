/**
 * Pipelines the metrics tests run; worker threads load this module again, so it declares only
 * definitions (no tests).
 */
import { countPerElement, definePipeline, fixedWindows, generateSequence, metrics, option, windowInto } from "beamline";

const seen = metrics.counter("seen", "demo");
const digits = metrics.distribution("lastDigit", "demo");
const latest = metrics.gauge("latest", "demo");

/**
 * Numbers (`to` of them, or endless at `rate` a second when `to` is 0), observed by user metrics, then
 * counted per last digit in one-second windows: a keyed stage, so rows cross threads at parallelism 2.
 */
export const observedNumbers = definePipeline({
  options: {
    to: option.integer("how many numbers; 0: endless", { default: 20000 }),
    rate: option.integer("numbers per second, when endless", { default: 5000 }),
  },
  build(p, { to, rate }) {
    p.apply("Numbers", generateSequence(to > 0 ? { to, batchSize: 1000 } : { ratePerSecond: rate, batchSize: 500 }))
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
