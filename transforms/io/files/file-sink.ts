/**
 * The base of file sinks, on the two-phase sink contract: writers stage files under
 * `<dir>/.beamline-staging-<sink>-<run>-<random>/`, the committer renames them into place, and recovery
 * removes what this sink left staged after the restored checkpoint. An attempt that restores nothing
 * (a first run, a restart or resume with no checkpoint to restore) removes what earlier attempts of
 * the same run left staged before it stages anything itself.
 */
import * as path from "node:path";
import { IOError } from "../../../sdk/errors";
import type { JsonValue } from "../../../sdk/graph";
import type { Sink, SinkRecovery, SinkWriter, WriterContext } from "../../../sdk/sink";
import { FileCommitter } from "./file-committer";
import { FileSinkWriter, type FileShardWriter } from "./file-sink-writer";
import { shardName } from "./shard-name";
import { storageFor } from "./storage-for";
import { isStagedFile, StagingArea } from "./staging";

/** Options every file sink takes. */
export interface FileSinkOptions {
  /** Output name prefix, e.g. `out/words`: shards are `out/words-00000-of-00001.txt`. */
  readonly prefix: string;
  /** Appended to shard names, e.g. `.txt`. */
  readonly suffix: string;
  /** Shards to write; the runner decides when unset. */
  readonly numShards?: number;
}

/**
 * A transactional file sink: a format supplies {@link FileSink.openFile}; staging, naming, commit and
 * recovery are the same for every format. A run without checkpoints publishes one file per shard,
 * `<prefix>-00000-of-00002<suffix>`; a checkpointed run publishes, per checkpoint that covers written
 * rows, `<prefix>-chk00003-00000-of-00002<suffix>`.
 */
export abstract class FileSink implements Sink<JsonValue> {
  /** Shards to write, when fixed. */
  readonly numShards?: number;
  /** Renames staged files into place. */
  readonly committer = new FileCommitter();
  /** The run the runner named in the last {@link WriterContext} (see {@link WriterContext.run}). */
  private run: string | undefined = undefined;
  private staging: StagingArea | null = null;
  /** Removing what earlier attempts of the run left: once per sink, by recovery or before the first staged file. */
  private swept: Promise<void> | null = null;

  constructor(readonly options: FileSinkOptions) {
    if (!options.prefix || typeof options.prefix !== "string") {
      throw new IOError({
        code: "BL_IO_BAD_OPTION",
        where: "file sink prefix",
        value: options.prefix,
        rule: "the output prefix must be a non-empty path",
        fix: 'pass a prefix such as "out/result"',
      });
    }
    if (options.numShards !== undefined && !(Number.isInteger(options.numShards) && options.numShards >= 1)) {
      throw new IOError({
        code: "BL_IO_BAD_OPTION",
        where: "option numShards",
        value: options.numShards,
        rule: "numShards must be a positive integer",
        fix: "pass numShards: 1 or more, or leave it unset to let the runner decide",
      });
    }
    this.numShards = options.numShards;
  }

  /** Opens the format writer for one staged file. */
  protected abstract openFile(stagedPath: string, shard: WriterContext): Promise<FileShardWriter>;

  /** The final path of shard `index` of `count`; files a checkpoint publishes get `-chk<id>` after the prefix. */
  finalPath(index: number, count: number, checkpointId: number | null = null): string {
    const prefix = checkpointId === null ? this.options.prefix : `${this.options.prefix}-chk${String(checkpointId).padStart(5, "0")}`;
    const name = shardName(prefix, index, count, this.options.suffix);
    return storageFor(name).resolve(name);
  }

  /** Opens a writer staging shard `index` of `count`. */
  async createWriter(shard: WriterContext): Promise<SinkWriter<JsonValue>> {
    if (shard.run !== this.run) {
      this.run = shard.run;
      this.staging = null;
      this.swept = null;
    }
    return new FileSinkWriter({
      staging: this.stagingArea(),
      beforeStaging: () => this.sweepEarlierAttempts(),
      stagedName: path.basename(this.finalPath(shard.index, shard.count)),
      openFile: (staged) => this.openFile(staged, shard),
      finalPath: (checkpointId) => this.finalPath(shard.index, shard.count, checkpointId),
    });
  }

  /** Removes every staging directory of this sink that the restored committables do not name. */
  async abortLingering(recovery: SinkRecovery<JsonValue>): Promise<void> {
    const keep = new Set<string>();
    for (const c of recovery.committables) if (isStagedFile(c)) keep.add(c.staging);
    await (this.swept = this.stagingArea().removeAllBut(keep));
  }

  /**
   * Before this sink stages anything in a run the runner named, removes what earlier attempts of that
   * run left staged (killed before any checkpoint, or one whose files no checkpoint covers). Without a
   * run name it removes nothing: then the sink cannot tell an earlier attempt from another process of
   * the same job writing next to it.
   */
  private sweepEarlierAttempts(): Promise<void> {
    if (this.run === undefined) return Promise.resolve();
    return (this.swept ??= this.stagingArea().removeAllBut(new Set()));
  }

  private stagingArea(): StagingArea {
    return (this.staging ??= new StagingArea(this.options.prefix, this.options.suffix, this.run));
  }
}
