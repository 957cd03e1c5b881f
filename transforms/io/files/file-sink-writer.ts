/**
 * The writer of file sinks: stages one file at a time in a staging directory of its own, opened on
 * the first batch after a prepare; a prepare finishes the file and names where it will be published.
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "../../../sdk/batch";
import { encodedBytes } from "../../../sdk/encoded-batch";
import { BeamlineError } from "../../../sdk/errors";
import type { JsonValue } from "../../../sdk/graph";
import type { SinkWriter } from "../../../sdk/sink";
import { ioFailure } from "./io-errors";
import { removeDir, type StagedFile, type StagingArea } from "./staging";
import { storageFor } from "./storage-for";

/** Writes one staged file in a format; the file sink writer makes and removes its staging directory. */
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

/** How a file sink writer opens and names files. */
export interface FileSinkWriterOptions {
  /** Where staging directories go. */
  readonly staging: StagingArea;
  /** Awaited before the writer stages its first file or prepares its first commit (the sink clears what earlier attempts left). */
  beforeStaging?(): Promise<void>;
  /** The name of the staged file inside its staging directory. */
  readonly stagedName: string;
  /** Opens the format writer of a staged file. */
  openFile(stagedPath: string): Promise<FileShardWriter>;
  /** The final path of the file prepared at checkpoint `checkpointId` (null: the run's only prepare). */
  finalPath(checkpointId: number | null): string;
}

/** The file being staged. */
interface OpenFile {
  readonly staging: string;
  readonly staged: string;
  readonly writer: FileShardWriter;
}

/** Stages one shard's files; each prepare returns the file written since the last one. */
export class FileSinkWriter implements SinkWriter<JsonValue> {
  private file: OpenFile | null = null;
  /** The file being opened, while it is. */
  private opening: Promise<void> | null = null;

  constructor(private readonly options: FileSinkWriterOptions) {}

  /** Appends a batch (or an encoded batch's bytes) to the file being staged, opening it first if needed. */
  write(batch: ElementBatch): void | Promise<void> {
    const bytes = encodedBytes(batch);
    if (!bytes && batch.data.numRows === 0) return;
    if (!this.file) {
      this.opening ??= this.start().finally(() => (this.opening = null));
      return this.opening.then(() => this.append(batch, bytes));
    }
    return this.append(batch, bytes);
  }

  /** Finishes the file staged since the last prepare and returns it as a {@link StagedFile}. */
  async prepareCommit(checkpointId: number | null): Promise<JsonValue[]> {
    if (!this.file) {
      await this.options.beforeStaging?.();
      if (checkpointId !== null) return [];
      await this.start(); // a run's only prepare: an empty output still has its file
    }
    const f = this.file!;
    this.file = null;
    try {
      await f.writer.finish();
    } catch (e) {
      f.writer.destroy();
      await removeDir(f.staging);
      throw e instanceof BeamlineError ? e : ioFailure(f.staged, e, "write");
    }
    const staged: StagedFile = { staging: f.staging, staged: f.staged, final: this.options.finalPath(checkpointId) };
    return [{ ...staged }];
  }

  /** Stops the file being staged and removes it. */
  async abort(): Promise<void> {
    const f = this.file;
    this.file = null;
    if (!f) return;
    f.writer.destroy();
    await removeDir(f.staging);
  }

  private append(batch: ElementBatch, bytes: Uint8Array | null): void | Promise<void> {
    const w = this.file!.writer;
    return bytes ? w.writeBytes!(bytes) : w.write(batch.data);
  }

  private async start(): Promise<void> {
    await this.options.beforeStaging?.();
    const staging = await this.options.staging.create();
    const staged = storageFor(staging).join(staging, this.options.stagedName);
    try {
      this.file = { staging, staged, writer: await this.options.openFile(staged) };
    } catch (e) {
      await removeDir(staging);
      throw e instanceof BeamlineError ? e : ioFailure(staged, e, "write");
    }
  }
}
