/** Random prices of the Nexmark generator, in cents (Beam's PriceGenerator): log-uniform from 1 to 10^8. */
import type { JavaRandom } from "./java-random";

/** A random price in cents. */
export function nextPrice(random: JavaRandom): number {
  return Math.round(10 ** (random.nextDouble() * 6) * 100);
}
