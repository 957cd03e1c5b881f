/** The transactional file sink: writers stage into `<dir>/.beamline-staging-<random>/`, commit renames into place. */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as arrow from "apache-arrow";
import { BeamlineError, IOError } from "../../../sdk/errors";
import type { ElementBatch } from "../../../sdk/batch";
import type { JsonValue } from "../../../sdk/graph";
import { encodedBytes, type Sink, type SinkWriter } from "../../../sdk/sink";
import { ioFailure } from "./io-errors";
import { shardName } from "./shard-name";

/** Writes one staged file; the sink base makes and removes the staging directory. */
export interface FileShardWriter {
  /** Writes a batch of rows. */
  write(batch: arrow.RecordBatch): void | Promise<void>;
  /** Appends the bytes the sink's `encode` gave for a batch (sinks that encode only). */
  writeBytes?(bytes: Uint8Array): void | Promise<void>;
  /** Finishes the file (flushes and closes it). */
  finish(): Promise<void>;
  /** Stops writing; the file is deleted afterwards. */
  destroy(): void;
}

/** Options every file sink takes. */
export interface FileSinkOptions {
  /** Output name prefix, e.g. `out/words`: shards are `out/words-00000-of-00001.txt`. */
  readonly prefix: string;
  /** Appended to shard names, e.g. `.txt`. */
  readonly suffix: string;
  /** Shards to write; the runner decides when unset. */
  readonly numShards?: number;
}

/** What a writer stages, as JSON: the staging directory, the staged file and its final name. */
export interface StagedFile {
  readonly staging: string;
  readonly staged: string;
  readonly final: string;
}

function isStagedFile(v: JsonValue): v is StagedFile & { [k: string]: JsonValue } {
  return !!v && typeof v === "object" && !Array.isArray(v) && typeof v.staging === "string"
    && typeof v.staged === "string" && typeof v.final === "string";
}

/** The prefix of staging directory names. */
export const STAGING_PREFIX = ".beamline-staging-";

/**
 * The base of transactional file sinks: each writer stages its shard under
 * `<dir>/.beamline-staging-<random>/`; `commit` renames staged files to their final names and
 * removes the staging directories; `abort` removes them. A failed commit removes what it had
 * already published, so a failed run leaves no file under the final names.
 */
export abstract class FileSink implements Sink {
  /** Shards to write, when fixed. */
  readonly numShards?: number;

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
  protected abstract createWriter(stagedPath: string, shard: { index: number; count: number }): Promise<FileShardWriter>;

  /** The final path of a shard; epochs after the first (checkpointed runs) get `-epoch<n>` after the prefix. */
  finalPath(index: number, count: number, epoch = 0): string {
    const prefix = epoch > 0 ? `${this.options.prefix}-epoch${String(epoch).padStart(5, "0")}` : this.options.prefix;
    return path.resolve(shardName(prefix, index, count, this.options.suffix));
  }

  /** Opens a writer staging shard `index` of `count` (of epoch `epoch`, see `Sink.open`). */
  async open(shard: { index: number; count: number; epoch?: number }): Promise<SinkWriter> {
    const final = this.finalPath(shard.index, shard.count, shard.epoch ?? 0);
    const dir = path.dirname(final);
    let staging: string;
    try {
      await fs.promises.mkdir(dir, { recursive: true });
      staging = await fs.promises.mkdtemp(path.join(dir, STAGING_PREFIX));
    } catch (e) {
      throw ioFailure(dir, e, "create a staging directory in");
    }
    const staged = path.join(staging, path.basename(final));
    let inner: FileShardWriter;
    try {
      inner = await this.createWriter(staged, shard);
    } catch (e) {
      await fs.promises.rm(staging, { recursive: true, force: true });
      throw e instanceof BeamlineError ? e : ioFailure(staged, e, "write");
    }
    let done = false;
    return {
      write: (batch: ElementBatch) => {
        const bytes = encodedBytes(batch);
        if (bytes) return inner.writeBytes!(bytes);
        if (batch.data.numRows === 0) return;
        return inner.write(batch.data);
      },
      close: async (): Promise<JsonValue> => {
        try {
          await inner.finish();
        } catch (e) {
          inner.destroy();
          await fs.promises.rm(staging, { recursive: true, force: true });
          throw e instanceof BeamlineError ? e : ioFailure(staged, e, "write");
        }
        done = true;
        const result: StagedFile = { staging, staged, final };
        return { ...result };
      },
      abort: async () => {
        if (!done) inner.destroy();
        await fs.promises.rm(staging, { recursive: true, force: true });
      },
    };
  }

  /** Publishes staged files under their final names; returns the final paths, in shard order. */
  async commit(staged: JsonValue[]): Promise<string[]> {
    const files = staged.map((s) => {
      if (!isStagedFile(s)) {
        throw new IOError({
          code: "BL_IO_BAD_STAGED",
          domain: "internal",
          value: s,
          rule: "a staged entry must be what a writer's close() returned",
          fix: "pass the results of close() unchanged",
        });
      }
      return s;
    });
    const published: string[] = [];
    try {
      for (const f of files) {
        const stagedExists = await exists(f.staged);
        if (!stagedExists && (await exists(f.final))) {
          published.push(f.final); // committed before (an idempotent retry)
          continue;
        }
        await fs.promises.mkdir(path.dirname(f.final), { recursive: true });
        await fs.promises.rename(f.staged, f.final);
        published.push(f.final);
      }
    } catch (e) {
      await Promise.all(published.map((p) => fs.promises.rm(p, { force: true })));
      await this.abort(staged);
      throw ioFailure(files[published.length]?.final ?? this.options.prefix, e, "publish");
    }
    await Promise.all([...new Set(files.map((f) => f.staging))].map((d) => fs.promises.rm(d, { recursive: true, force: true })));
    return published.sort();
  }

  /** Removes everything staged. */
  async abort(staged: JsonValue[]): Promise<void> {
    const dirs = new Set<string>();
    for (const s of staged) if (isStagedFile(s)) dirs.add(s.staging);
    await Promise.all([...dirs].map((d) => fs.promises.rm(d, { recursive: true, force: true })));
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.promises.access(p);
    return true;
  } catch {
    return false;
  }
}
