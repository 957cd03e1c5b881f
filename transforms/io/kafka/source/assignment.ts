/**
 * Which instance reads a partition. Flink's `KafkaSourceEnumerator` owner function: a topic's
 * partitions are dealt out round-robin from an instance picked by the topic name's hash, so P
 * partitions of one topic over N instances give each ⌊P/N⌋ or ⌈P/N⌉, whatever P and N are, and
 * topics start at different instances. Here it is a slot (the runner takes `slot % count`), which
 * does not depend on the parallelism, so the same partition lands on the same instance at the
 * start, after a restore at any parallelism, and when it is discovered while running.
 */

/** Java's `String.hashCode` (the same number Flink starts from). */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** The slot of a topic's partition: `((hash(topic) * 31) & 0x7FFFFFFF) + partition`, so `slot % N` is Flink's owner. */
export function partitionSlot(topic: string, partition: number): number {
  return (Math.imul(javaStringHash(topic), 31) & 0x7fffffff) + partition;
}
