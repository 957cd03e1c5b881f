/** Which instance reads a partition: Flink's KafkaSourceEnumerator owner function, as a slot. */
import { javaStringHash, partitionSlot } from "../../../../transforms/io/kafka/source/assignment";

describe("partition slots", () => {
  test("the topic hash is Java's String.hashCode", () => {
    // Values Java prints for "hello".hashCode(), "".hashCode() and "polygenelubricants".hashCode().
    expect(javaStringHash("hello")).toBe(99162322);
    expect(javaStringHash("")).toBe(0);
    expect(javaStringHash("polygenelubricants")).toBe(-2147483648);
  });

  test("slot % N is Flink's owner: ((hash * 31) & 0x7FFFFFFF) % N, then the partition round-robin", () => {
    for (const topic of ["clicks", "orders", "polygenelubricants"]) {
      for (const n of [1, 2, 3, 7]) {
        const start = (Math.imul(javaStringHash(topic), 31) & 0x7fffffff) % n;
        for (let p = 0; p < 20; p++) expect(partitionSlot(topic, p) % n).toBe((start + p) % n);
      }
    }
  });

  test("P partitions of a topic over N instances give each ⌊P/N⌋ or ⌈P/N⌉", () => {
    for (let p = 1; p <= 24; p++) {
      for (let n = 1; n <= 6; n++) {
        const counts = new Array<number>(n).fill(0);
        for (let i = 0; i < p; i++) counts[partitionSlot("events", i) % n]++;
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(p);
      }
    }
  });
});
