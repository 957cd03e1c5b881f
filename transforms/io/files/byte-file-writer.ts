/** Writing bytes to a (possibly gzipped) file, local or `gs://`, honouring backpressure. */
import * as zlib from "node:zlib";
import { pipeline as streamPipeline } from "node:stream/promises";
import type { Writable } from "node:stream";
import { ioFailure } from "./io-errors";
import { storageFor } from "./storage-for";

/** A byte sink over a (possibly gzipped) file, honouring backpressure. */
export class ByteFileWriter {
  private readonly file: Writable;
  private readonly head: Writable;
  private readonly done: Promise<void>;
  private failure: unknown = null;

  constructor(readonly filePath: string, compression: "gzip" | "none") {
    this.file = storageFor(filePath).createWrite(filePath);
    if (compression === "gzip") {
      const gz = zlib.createGzip({ chunkSize: 1 << 20 });
      this.head = gz;
      this.done = streamPipeline(gz, this.file);
    } else {
      this.head = this.file;
      this.done = new Promise<void>((resolve, reject) => {
        this.file.on("finish", () => resolve());
        this.file.on("close", () => resolve());
        this.file.on("error", reject);
      });
    }
    this.done.catch((e) => {
      this.failure = e;
    });
  }

  /** Writes bytes (or a string as UTF-8); resolves once the stream can take more. */
  write(chunk: Uint8Array | string): Promise<void> | void {
    if (this.failure) throw ioFailure(this.filePath, this.failure, "write");
    if (typeof chunk === "string" ? chunk.length === 0 : chunk.byteLength === 0) return;
    if (!this.head.write(chunk)) {
      return new Promise<void>((resolve, reject) => {
        const onDrain = () => { this.head.off("error", onError); resolve(); };
        const onError = (e: unknown) => { this.head.off("drain", onDrain); reject(ioFailure(this.filePath, e, "write")); };
        this.head.once("drain", onDrain);
        this.head.once("error", onError);
      });
    }
  }

  /** Ends the file and waits until it is on disk. */
  async end(): Promise<void> {
    this.head.end();
    try {
      await this.done;
    } catch (e) {
      throw ioFailure(this.filePath, e, "write");
    }
  }

  /** Stops writing. */
  destroy(): void {
    this.head.destroy();
    this.file.destroy();
  }
}
