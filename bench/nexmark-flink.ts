/**
 * Flink's published per-core Nexmark throughput, for comparison beside Beamline's: the "Throughput/Cores"
 * column of the Nexmark project's README ("Benchmark Results": Flink 1.13, 8 TaskManagers of one slot,
 * RocksDB state, checkpoints every 3 minutes, 100 million events at 10 M events/s, the Flink SQL
 * versions of the queries), https://github.com/nexmark/nexmark (README.md, commit 0c6d9cf0).
 * Query 6 has no figure there (Flink SQL cannot express it, FLINK-19059).
 */

/** Where the figures come from. */
export const FLINK_SOURCE = "github.com/nexmark/nexmark README, Benchmark Results (Flink 1.13, 8 cores, 100M events)";

/** Events per second per core, by query. */
export const FLINK_EVENTS_PER_SEC_PER_CORE: Readonly<Record<string, number | null>> = {
  "0": 155_020,
  "1": 157_940,
  "2": 175_210,
  "3": 152_120,
  "4": 34_330,
  "5": 22_140,
  "6": null,
  "7": 12_330,
  "8": 146_140,
  "11": 39_700,
  "12": 75_670,
};
