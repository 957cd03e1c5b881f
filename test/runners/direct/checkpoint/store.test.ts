import * as fs from "node:fs";
import * as path from "node:path";
import { BeamlineError } from "beamline";
import { CheckpointManifest, CheckpointStore, MANIFEST } from "../../../../runners/direct/checkpoint/store";
import { tempDir } from "../../../helpers";

function manifest(id: number, files: Record<string, number> = {}, fingerprint = "f".repeat(64)): CheckpointManifest {
  return { id, fingerprint, parallelism: 2, keyGroups: 128, completedAt: Date.now(), durationMs: 5, files, extra: { sources: { Read: { offset: id * 10 } } } };
}

function take(store: CheckpointStore, id: number): void {
  store.begin(id);
  const size = store.write(id, "state/kg-0.bin", new Uint8Array([id, 1, 2]));
  store.complete(manifest(id, { "state/kg-0.bin": size }));
}

describe("checkpoint store", () => {
  test("layout: chk-<n>/ with state files and the manifest, written last", () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir);
    expect(store.nextId()).toBe(1);
    take(store, 1);
    expect(fs.readdirSync(path.join(dir, "chk-1")).sort()).toEqual([MANIFEST, "state"]);
    expect([...store.read(1, "state/kg-0.bin")]).toEqual([1, 1, 2]);
    expect(store.latest()!.manifest.extra).toEqual({ sources: { Read: { offset: 10 } } });
    expect(store.nextId()).toBe(2);
    // No temporary file is left behind.
    expect(fs.readdirSync(path.join(dir, "chk-1")).some((f) => f.endsWith(".tmp"))).toBe(false);
  });

  test("a checkpoint without its manifest is incomplete: never the latest, removed once a newer one completes", () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir);
    take(store, 1);
    store.begin(2);
    store.write(2, "state/kg-0.bin", "partial");
    expect(store.latest()!.id).toBe(1);
    expect(store.nextId()).toBe(3);
    take(store, 3);
    expect(fs.existsSync(store.pathOf(2))).toBe(false);
    expect(store.latest()!.id).toBe(3);
  });

  test("a torn or foreign manifest does not count", () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir);
    take(store, 1);
    store.begin(2);
    fs.writeFileSync(path.join(store.pathOf(2), MANIFEST), '{"id": 2, "fingerpr');
    expect(store.latest()!.id).toBe(1);
    store.begin(3);
    fs.writeFileSync(path.join(store.pathOf(3), MANIFEST), JSON.stringify(manifest(4)));
    expect(store.latest()!.id).toBe(1);
  });

  test("retains the last N completed checkpoints", () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir, { retained: 2 });
    for (let id = 1; id <= 5; id++) take(store, id);
    expect(store.completed().map((c) => c.id)).toEqual([4, 5]);
    expect(fs.readdirSync(dir).sort()).toEqual(["chk-4", "chk-5"]);
  });

  test("the latest checkpoint of another pipeline is refused with a clear error", () => {
    const store = new CheckpointStore(tempDir());
    take(store, 1);
    const err = (() => {
      try {
        store.latest("0".repeat(64));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(BeamlineError);
    expect((err as BeamlineError).code).toBe("BL_CHECKPOINT_OTHER_PIPELINE");
    expect(store.latest("f".repeat(64))!.id).toBe(1);
  });

  test("retained must be positive", () => {
    expect(() => new CheckpointStore(tempDir(), { retained: 0 })).toThrow(/--checkpoints-retained/);
  });
});

describe("checkpoint store: checkpoints written incrementally", () => {
  test("retention keeps the checkpoints a kept one builds on (refs-<i>.json), and drops them once none does", () => {
    const store = new CheckpointStore(tempDir(), { retained: 1 });
    take(store, 1);
    store.begin(2);
    store.write(2, "refs-0.json", "[1]");
    store.complete(manifest(2));
    expect(store.basesOf(2)).toEqual([1]);
    expect(store.completed().map((c) => c.id)).toEqual([1, 2]);
    take(store, 3);
    expect(store.completed().map((c) => c.id)).toEqual([3]);
  });
});
