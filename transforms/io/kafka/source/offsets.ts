/**
 * Offsets: where partitions start (earliest, latest, at a time, or a group's committed offsets), where
 * a bounded read stops (the end offsets seen at start: the last stable offsets under read_committed),
 * and committing a group's offsets when a checkpoint completes — as Flink's KafkaSource commits with
 * its standalone consumer: an OffsetCommit with generation -1 and no member, which the broker accepts
 * for a group that has no active members. Committed offsets are for tools (lag); a restore reads its
 * positions from the checkpoint.
 */
import type { Admin } from "kafkajs";
import type { KafkaCluster } from "../client/connection";

/** Kafka's ListOffsets timestamps for the first offset and the end offset. */
export const EARLIEST = -2;
export const LATEST = -1;

/**
 * The offsets of `partitions` of `topic` at `timestamp` (EARLIEST, LATEST, or ms: the first offset
 * whose timestamp is at or after it, or the end offset when there is none).
 */
export async function listOffsets(cluster: KafkaCluster, topic: string, partitions: readonly number[], timestamp: number, readCommitted: boolean): Promise<Map<number, number>> {
  await cluster.addTargetTopic(topic);
  const out = new Map<number, number>();
  let leaders = cluster.findLeaderForPartitions(topic, [...partitions]);
  if (Object.values(leaders).flat().length < partitions.length) {
    // A partition created since the metadata was read.
    await cluster.refreshMetadata();
    leaders = cluster.findLeaderForPartitions(topic, [...partitions]);
  }
  for (const [leader, ps] of Object.entries(leaders)) {
    const broker = await cluster.findBroker({ nodeId: leader });
    const res = (await (broker.listOffsets as (r: unknown) => Promise<ListOffsetsResponse>)({
      replicaId: -1,
      isolationLevel: readCommitted ? 1 : 0,
      topics: [{ topic, partitions: ps.map((partition) => ({ partition, timestamp })) }],
    })) as ListOffsetsResponse;
    for (const r of res.responses) for (const p of r.partitions) out.set(p.partition, Number(p.offset));
  }
  if (timestamp >= 0) {
    // No record at or after the time: start at the end.
    const missing = [...out].filter(([, o]) => o < 0).map(([p]) => p);
    if (missing.length > 0) for (const [p, o] of await listOffsets(cluster, topic, missing, LATEST, readCommitted)) out.set(p, o);
  }
  return out;
}

interface ListOffsetsResponse {
  readonly responses: { readonly topic: string; readonly partitions: { readonly partition: number; readonly offset: string }[] }[];
}

/** The offsets `groupId` committed for `topic`, by partition (partitions without one are absent). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const out = new Map<number, number>();
  for (const p of entry?.partitions ?? []) if (Number(p.offset) >= 0) out.set(p.partition, Number(p.offset));
  return out;
}

/** One partition's next offset, to commit. */
export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** Commits `offsets` for `groupId` as a standalone consumer (generation -1, no member id). */
export async function commitOffsets(cluster: KafkaCluster, groupId: string, offsets: readonly OffsetToCommit[]): Promise<void> {
  if (offsets.length === 0) return;
  const topics = new Map<string, { partition: number; offset: string }[]>();
  for (const o of offsets) {
    const list = topics.get(o.topic) ?? [];
    list.push({ partition: o.partition, offset: String(o.offset) });
    topics.set(o.topic, list);
  }
  const coordinator = await cluster.findGroupCoordinator({ groupId });
  await (coordinator.offsetCommit as (r: unknown) => Promise<unknown>)({
    groupId,
    groupGenerationId: -1,
    memberId: "",
    topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
  });
}
