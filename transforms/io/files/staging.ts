/**
 * Where file sinks stage: one directory per staged file, `<dir>/.beamline-staging-<sink>-<run>-<random>/`,
 * next to the output so that a commit is a rename on one file system. `<sink>` is a digest of the
 * sink's prefix and suffix, `<run>` a digest of the run's identity as the runner names it
 * (`WriterContext.run`: on the direct runner the pipeline's fingerprint and the write's name, the same
 * across a run's attempts and resumes), so recovery finds what earlier attempts of this run left
 * lingering and nothing of another sink or of another run writing next to it. On Cloud Storage a
 * staging directory is a name prefix, and a commit a copy and a delete.
 */
import { createHash } from "node:crypto";
import type { JsonValue } from "../../../sdk/graph";
import { ioFailure } from "./io-errors";
import type { FileStorage } from "./storage";
import { storageFor } from "./storage-for";

/** The prefix of staging directory names. */
export const STAGING_PREFIX = ".beamline-staging-";

/**
 * The marker a commit writes into a staging directory before it renames the staged file into place,
 * and removes with the directory once it has: a staged file gone from a directory holding the marker
 * was published (a crash came between the rename and the removal).
 */
export const PUBLISHED_MARKER = ".beamline-published";

/** A file sink's committable: the staging directory, the staged file and its final name. */
export interface StagedFile {
  readonly staging: string;
  readonly staged: string;
  readonly final: string;
}

/** Whether a committable is a {@link StagedFile}. */
export function isStagedFile(v: JsonValue): v is StagedFile & { [k: string]: JsonValue } {
  return !!v && typeof v === "object" && !Array.isArray(v) && typeof v.staging === "string"
    && typeof v.staged === "string" && typeof v.final === "string";
}

/** The staging area of one file sink in one run: its output directory and the names its staging directories start with. */
export class StagingArea {
  /** The directory the sink writes into. */
  readonly dir: string;
  /** The start of the names of this sink's staging directories, in this run: `.beamline-staging-<sink>-<run>-`. */
  readonly namePrefix: string;
  private readonly storage: FileStorage;

  /** `run` identifies the run across its attempts (the pipeline's fingerprint); runs that give none share one area. */
  constructor(outputPrefix: string, suffix: string, run = "") {
    this.storage = storageFor(outputPrefix);
    const prefix = this.storage.resolve(outputPrefix);
    this.dir = this.storage.dirname(prefix);
    const sink = digest(`${prefix}\0${suffix}`, 12);
    this.namePrefix = `${STAGING_PREFIX}${sink}-${digest(run, 8)}-`;
  }

  /** Makes a new, empty staging directory; returns its path. */
  async create(): Promise<string> {
    try {
      return await this.storage.makeTempDir(this.dir, this.namePrefix);
    } catch (e) {
      throw ioFailure(this.dir, e, "create a staging directory in");
    }
  }

  /** Removes every staging directory of this sink in this run but those in `keep`. */
  async removeAllBut(keep: ReadonlySet<string>): Promise<void> {
    let names: string[];
    try {
      names = await this.storage.list(this.dir);
    } catch (e) {
      throw ioFailure(this.dir, e, "list");
    }
    const lingering = names.filter((n) => n.startsWith(this.namePrefix)).map((n) => this.storage.join(this.dir, n)).filter((d) => !keep.has(d));
    await Promise.all(lingering.map(removeDir));
  }
}

/** The first `chars` hex digits of the SHA-256 of `s`. */
function digest(s: string, chars: number): string {
  return createHash("sha256").update(s).digest("hex").slice(0, chars);
}

/** Removes a directory (local or `gs://`) and what it holds; nothing when it is gone already. */
export function removeDir(dir: string): Promise<void> {
  return storageFor(dir).removeDir(dir);
}
