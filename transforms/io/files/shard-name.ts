/** Names of output shards. */

/** The name of shard `index` of `count`: `prefix-00000-of-00003` plus the suffix. */
export function shardName(prefix: string, index: number, count: number, suffix = ""): string {
  const pad = (n: number) => String(n).padStart(5, "0");
  return `${prefix}-${pad(index)}-of-${pad(count)}${suffix}`;
}
