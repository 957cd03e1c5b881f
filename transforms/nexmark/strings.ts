/** Random strings of the Nexmark generator, written straight into a {@link StringColumn} (Beam's StringsGenerator). */
import type { StringColumn } from "./columns";
import type { JavaRandom } from "./java-random";

const MIN_STRING_LENGTH = 3;
const SPACE = 32;
const A = 97;

/** Writes a random string of 3 to `maxLength - 1` letters with occasional spaces, trimmed. */
export function nextString(random: JavaRandom, maxLength: number, out: StringColumn): void {
  const start = out.size;
  let len = MIN_STRING_LENGTH + random.nextInt(maxLength - MIN_STRING_LENGTH);
  while (len-- > 0) out.byte(random.nextInt(13) === 0 ? SPACE : A + random.nextInt(26));
  out.trim(start);
}

/** Writes exactly `length` random letters. */
export function nextExactString(random: JavaRandom, length: number, out: StringColumn): void {
  out.reserve(length);
  const bytes = out.bytes;
  let at = out.size;
  let rnd = 0;
  let n = 0;
  while (length-- > 0) {
    if (n === 0) {
      rnd = random.nextIntAny();
      n = 6;
    }
    // Java's % and / truncate toward zero, so a negative rnd gives characters below 'a', as in Beam.
    bytes[at++] = A + (rnd % 26);
    rnd = (rnd / 26) | 0;
    n--;
  }
  out.size = at;
}

/** Writes padding so that an event of `currentSize` bytes is on average `desiredAverageSize`. */
export function nextExtra(random: JavaRandom, currentSize: number, desiredAverageSize: number, out: StringColumn): void {
  if (currentSize > desiredAverageSize) return;
  const remaining = desiredAverageSize - currentSize;
  const delta = Math.round(remaining * 0.2);
  const size = remaining - delta + (delta === 0 ? 0 : random.nextInt(2 * delta));
  nextExactString(random, size, out);
}
