/**
 * The on-disk store of one stateful operator instance (`--state-backend=disk`): LMDB files in a
 * fresh directory of their own, removed when the operator closes. Entries are values by string id
 * (`v8.serialize`d, so they keep what a structured clone keeps); side indexes (ordered keys to ids)
 * are not checkpointed and are rebuilt on restore. Every change to an entry is recorded with the
 * checkpoint epoch it happened in and the key group of its key, so that a checkpoint writes only
 * the entries changed since the last completed one (see {@link DiskStore.delta}). The `lmdb`
 * package loads at the first disk store, never when beamline is imported.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as v8 from "node:v8";
import type { Database, RootDatabase } from "lmdb";
import { IOError } from "../../../sdk/errors";
import { writeDeltaFile, type DeltaEntry } from "./delta-file";
import { makeDirectory } from "../../../sdk/make-directory";
import { directoryFailure } from "./state-dir";

/** Longest entry id kept as is; longer ids are kept by a hash (LMDB keys are at most 1978 bytes). */
const MAX_ID = 400;

/** Ordered keys of a side index (see `lmdb`'s ordered-binary keys). */
export type IndexKey = (string | number)[];

/** Where the stores of a run's instances live: under `root` (default: the OS's temp directory). */
export function stateRoot(root: string | undefined): string {
  return root ?? os.tmpdir();
}

/** State directories of processes that are gone (killed before they could remove theirs), seen once per root. */
const swept = new Set<string>();

/** Removes the state directories under `root` whose process no longer runs. */
function removeOrphans(root: string): void {
  if (swept.has(root)) return;
  swept.add(root);
  for (const name of fs.readdirSync(root)) {
    const pid = Number(/^beamline-state-(\d+)-/.exec(name)?.[1] ?? NaN);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ESRCH") fs.rmSync(path.join(root, name), { recursive: true, force: true });
    }
  }
}

/** The LMDB key of an entry id (a hash beyond {@link MAX_ID} characters, with the id's first part kept for ranges). */
function dbKey(id: string): string {
  if (id.length <= MAX_ID) return id;
  return `${id.slice(0, MAX_ID / 2)}\u0001${crypto.createHash("sha256").update(id).digest("hex")}`;
}

/** One operator instance's LMDB environment: entries, their changes since the last checkpoint, and side indexes. */
export class DiskStore {
  /** The directory of the LMDB files. */
  readonly dir: string;
  private readonly env: RootDatabase;
  private readonly entries: Database<Buffer, string>;
  /** Changed entries by LMDB key → [epoch, key group, id]. */
  private readonly changed: Database<[number, number, string], string>;
  private readonly indexes = new Map<string, Database<string, IndexKey>>();
  /** Checkpoint epoch: one more than the barriers passed. */
  private epoch = 0;
  /** How deep in {@link batch} calls the store is. */
  private depth = 0;
  /** The epoch each checkpoint taken and not yet completed closed. */
  private readonly pending = new Map<number, number>();
  /** The latest completed checkpoint this store's contents are a change from, or null (none: a full checkpoint). */
  base: number | null = null;

  /**
   * Opens a fresh store under `root` for `label` (a transform's name); `tracksChanges` when the run
   * takes checkpoints (without, changes are not recorded and {@link delta} writes every entry).
   */
  constructor(root: string, label: string, private readonly tracksChanges = true) {
    let dir: string | undefined;
    try {
      makeDirectory(root);
      removeOrphans(root);
      dir = fs.mkdtempSync(path.join(root, `beamline-state-${process.pid}-${label.replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 40)}-`));
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { open } = require("lmdb") as typeof import("lmdb");
      this.env = open({ path: dir, noSync: true, noMetaSync: true, compression: false, maxDbs: 16, mapSize: 2 ** 36 });
      this.entries = this.env.openDB<Buffer, string>({ name: "entries", encoding: "binary" });
      this.changed = this.env.openDB<[number, number, string], string>({ name: "changed", encoding: "msgpack" });
    } catch (e) {
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
      throw new IOError({
        code: "BL_STATE_STORE_FAILED",
        domain: "external",
        where: `transform "${label}"`,
        value: root,
        rule: `the disk state backend could not open its files under the state directory: ${directoryFailure(e)}`,
        fix: "pass --state-dir=DIR naming a writable directory with free space, or run with --state-backend=memory",
        cause: e,
      });
    }
    this.dir = dir;
  }

  /** Runs `f` in one write transaction (writes inside are not committed one by one); inside one already, just runs it. */
  batch<T>(f: () => T): T {
    if (this.depth > 0) return f();
    this.depth++;
    try {
      return this.env.transactionSync(f);
    } finally {
      this.depth--;
    }
  }

  /** The side index `name` (ordered keys to entry ids). */
  index(name: string): Database<string, IndexKey> {
    let db = this.indexes.get(name);
    if (!db) this.indexes.set(name, (db = this.env.openDB<string, IndexKey>({ name: `index-${name}`, encoding: "string", keyEncoding: "ordered-binary" })));
    return db;
  }

  /** The value of entry `id`, or undefined. */
  get(id: string): unknown {
    // The fast read's buffer is valid until the next read: deserialized at once.
    const b = this.entries.getBinaryFast(dbKey(id));
    return b === undefined ? undefined : v8.deserialize(b);
  }

  /** Sets entry `id` (whose key is in key group `keyGroup`). */
  put(id: string, keyGroup: number, value: unknown): void {
    const k = dbKey(id);
    this.entries.putSync(k, v8.serialize(value));
    if (this.tracksChanges) this.changed.putSync(k, [this.epoch, keyGroup, id]);
  }

  /** Removes entry `id`. */
  remove(id: string, keyGroup: number): void {
    const k = dbKey(id);
    if (this.entries.removeSync(k) && this.tracksChanges) this.changed.putSync(k, [this.epoch, keyGroup, id]);
  }

  /** The values of entries whose ids start with `prefix`, in id order, after the id `after` when given, at most `limit`. */
  range(prefix: string, limit: number, after?: string): unknown[] {
    const out: unknown[] = [];
    const start = after === undefined ? prefix : dbKey(after);
    for (const { key, value } of this.entries.getRange({ start, end: `${prefix}\uffff`, limit: limit + 1 })) {
      if (after !== undefined && key === start) continue;
      if (out.length === limit) break;
      out.push(v8.deserialize(value));
    }
    return out;
  }

  /** How many entries start with `prefix`. */
  count(prefix: string): number {
    return this.entries.getKeysCount({ start: prefix, end: `${prefix}\uffff` });
  }

  /**
   * Passes checkpoint `id`'s barrier: the entries to write for it, as `[keyGroup, [id, value]]` (a
   * removed entry's value undefined), and the checkpoint they are a change from (null: every entry,
   * when no checkpoint completed yet or `full` asks for it). `keyGroupOf` gives an entry's key group.
   */
  delta(id: number, full: boolean, keyGroupOf: (value: unknown) => number): { base: number | null; keyed: DeltaEntry[] } {
    const { base, entries } = this.changes(id, full, keyGroupOf);
    return { base, keyed: [...entries] };
  }

  /** {@link delta} written to `file` a chunk at a time (see `delta-file.ts`), for a state larger than memory. */
  writeDelta(id: number, full: boolean, keyGroupOf: (value: unknown) => number, file: string): { base: number | null; count: number; bytes: number } {
    const { base, entries } = this.changes(id, full, keyGroupOf);
    return { base, ...writeDeltaFile(file, entries) };
  }

  /** The entries of checkpoint `id` (read lazily, in this transaction), and the checkpoint they build on. */
  private changes(id: number, full: boolean, keyGroupOf: (value: unknown) => number): { base: number | null; entries: Iterable<DeltaEntry> } {
    const base = full || !this.tracksChanges ? null : this.base;
    this.pending.set(id, this.epoch++);
    const entries = this.entries;
    const changed = this.changed;
    const get = (id: string) => this.get(id);
    function* all(): Generator<DeltaEntry> {
      for (const { value } of entries.getRange()) {
        const v = v8.deserialize(value) as { id: string };
        yield [keyGroupOf(v), [v.id, v]];
      }
    }
    function* since(): Generator<DeltaEntry> {
      for (const { value } of changed.getRange()) yield [value[1], [value[2], get(value[2])]];
    }
    return { base, entries: base === null ? all() : since() };
  }

  /** Checkpoint `id` completed: later checkpoints write only what changed since its barrier. */
  completed(id: number): void {
    const epoch = this.pending.get(id);
    if (epoch === undefined) return;
    for (const k of this.pending.keys()) if (k <= id) this.pending.delete(k);
    this.base = id;
    this.batch(() => {
      for (const { key, value } of this.changed.getRange()) if (value[0] <= epoch) this.changed.removeSync(key);
    });
  }

  /** Empties the store (entries, changes, indexes) and takes checkpoint `base` as the one its contents come from. */
  reset(base: number | null): void {
    this.batch(() => {
      this.entries.clearSync();
      this.changed.clearSync();
      for (const db of this.indexes.values()) db.clearSync();
    });
    this.pending.clear();
    this.base = base;
  }

  /** After restoring: the entries written so far are the restored checkpoint's, not changes. */
  forgetChanges(): void {
    this.batch(() => this.changed.clearSync());
  }

  /** Closes the environment and removes its files. */
  async close(): Promise<void> {
    try {
      await this.env.close();
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
