/**
 * Where file sinks stage: one directory per staged file, `<dir>/.beamline-staging-<sink>-<random>/`,
 * next to the output so that a commit is a rename on one file system. `<sink>` is a digest of the
 * sink's prefix and suffix, so recovery can find what one sink left lingering and nothing else.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { JsonValue } from "../../../sdk/graph";
import { ioFailure } from "./io-errors";

/** The prefix of staging directory names. */
export const STAGING_PREFIX = ".beamline-staging-";

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

/** The staging area of one file sink: its output directory and the names its staging directories start with. */
export class StagingArea {
  /** The directory the sink writes into. */
  readonly dir: string;
  /** The start of this sink's staging directory names. */
  readonly namePrefix: string;

  constructor(outputPrefix: string, suffix: string) {
    const prefix = path.resolve(outputPrefix);
    this.dir = path.dirname(prefix);
    const digest = createHash("sha256").update(`${prefix}\0${suffix}`).digest("hex").slice(0, 12);
    this.namePrefix = `${STAGING_PREFIX}${digest}-`;
  }

  /** Makes a new, empty staging directory; returns its path. */
  async create(): Promise<string> {
    try {
      await fs.promises.mkdir(this.dir, { recursive: true });
      return await fs.promises.mkdtemp(path.join(this.dir, this.namePrefix));
    } catch (e) {
      throw ioFailure(this.dir, e, "create a staging directory in");
    }
  }

  /** Removes every staging directory of this sink but those in `keep`. */
  async removeAllBut(keep: ReadonlySet<string>): Promise<void> {
    let names: string[];
    try {
      names = await fs.promises.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw ioFailure(this.dir, e, "list");
    }
    const lingering = names.filter((n) => n.startsWith(this.namePrefix)).map((n) => path.join(this.dir, n)).filter((d) => !keep.has(d));
    await Promise.all(lingering.map(removeDir));
  }
}

/** Removes a directory and what it holds; nothing when it is gone already. */
export function removeDir(dir: string): Promise<void> {
  return fs.promises.rm(dir, { recursive: true, force: true });
}
