/**
 * Java's `java.util.Random` (a 48-bit linear congruential generator), so that an event seeded with
 * its id gets the same values as in Beam's Java Nexmark generator. The 48-bit state is kept as two
 * 24-bit halves in doubles, so every step is exact without BigInt.
 */

const TWO_24 = 0x1000000;
const MULT_HI = 0x5de;
const MULT_LO = 0xece66d;

/** A `java.util.Random` with the same sequence for the same seed (seeds up to 2^48). */
export class JavaRandom {
  private hi = 0;
  private lo = 0;

  constructor(seed: number) {
    this.setSeed(seed);
  }

  /** Reseeds, as `new Random(seed)` does; reusing one object avoids an allocation per event. */
  setSeed(seed: number): void {
    this.lo = (seed % TWO_24) ^ MULT_LO;
    this.hi = (Math.floor(seed / TWO_24) % TWO_24) ^ MULT_HI;
  }

  /** The next `bits` (at most 32) random bits, as Java's protected `next(bits)`. */
  private next(bits: number): number {
    const lo = this.lo * MULT_LO + 0xb;
    const carry = Math.floor(lo / TWO_24);
    this.hi = (this.hi * MULT_LO + this.lo * MULT_HI + carry) % TWO_24;
    this.lo = lo - carry * TWO_24;
    // state >>> (48 - bits), as a signed 32-bit int.
    return Math.floor((this.hi * TWO_24 + this.lo) / 2 ** (48 - bits)) | 0;
  }

  /** A uniform int in `[0, bound)`, as Java's `nextInt(bound)`. */
  nextInt(bound: number): number {
    if ((bound & -bound) === bound) return Math.floor((bound * this.next(31)) / 2147483648);
    let bits: number;
    let val: number;
    do {
      bits = this.next(31);
      val = bits % bound;
    } while (((bits - val + (bound - 1)) | 0) < 0);
    return val;
  }

  /** A uniform double in `[0, 1)`, as Java's `nextDouble()`. */
  nextDouble(): number {
    return (this.next(26) * 134217728 + this.next(27)) / 9007199254740992;
  }

  /** A signed 32-bit int, as Java's `nextInt()`. */
  nextIntAny(): number {
    return this.next(32);
  }
}
