/**
 * Kafka's default partitioner in TypeScript gives every key the partition Java's gives it. The vectors
 * were computed by Kafka's own classes (`Utils.murmur2`, `BuiltInPartitioner.partitionForKey` from the
 * kafka-clients 4.4.0 jar) with fixtures/Murmur2Vectors.java; its header says how to run it again.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { murmur2, partitionForKey } from "../../../../transforms/io/kafka/sink/partitioner";

interface Vector {
  readonly text?: string;
  readonly hex?: string;
  readonly murmur2: number;
  readonly partitions: Record<string, number>;
}

const vectors: Vector[] = fs
  .readFileSync(path.join(__dirname, "fixtures", "murmur2-vectors.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((line) => JSON.parse(line) as Vector);

const bytesOf = (v: Vector) => (v.hex !== undefined ? Buffer.from(v.hex, "hex") : Buffer.from(v.text!, "utf8"));

describe("Kafka's murmur2 partitioner", () => {
  test("the vectors cover every tail length, multi-byte UTF-8 and raw bytes with the high bit set", () => {
    expect(vectors.length).toBeGreaterThan(50);
    const lengths = new Set(vectors.map((v) => bytesOf(v).length % 4));
    expect([...lengths].sort()).toEqual([0, 1, 2, 3]);
    expect(vectors.some((v) => v.text === "日本語のキー")).toBe(true);
    expect(vectors.some((v) => v.hex === "ff")).toBe(true);
    expect(vectors.some((v) => v.murmur2 < 0)).toBe(true);
  });

  test.each(vectors.map((v) => [v.text ?? `0x${v.hex}`, v] as const))("%s: murmur2 and partitions equal Java's", (_name, v) => {
    const key = bytesOf(v);
    expect(murmur2(key)).toBe(v.murmur2);
    for (const [count, partition] of Object.entries(v.partitions)) expect(partitionForKey(key, Number(count))).toBe(partition);
  });

  test("a partition is always within range, for keys whose hash is negative too", () => {
    for (let i = 0; i < 2000; i++) {
      const p = partitionForKey(Buffer.from(`key-${i}`), 7);
      expect(p >= 0 && p < 7 && Number.isInteger(p)).toBe(true);
    }
  });
});
