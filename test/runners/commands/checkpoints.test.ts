import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, DirectRunner } from "beamline";
import { main } from "../../../runners/cli";
import { formatAge, formatBytes } from "../../../runners/commands/checkpoints";
import { CheckpointStore } from "../../../runners/direct/checkpoint/store";
import { tempDir } from "../../helpers";
import { observedNumbers } from "../metrics/pipelines";

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`) });
  return { code, out, err };
}

describe("beamline checkpoints", () => {
  test("lists a run's completed checkpoints with number, time, age, duration, size and parallelism, and the ones that never completed", async () => {
    const dir = tempDir();
    const r = await new DirectRunner({ parallelism: 1, checkpoint: { dir, intervalMs: 100, retained: 5 } }).run(buildPipeline(observedNumbers, { to: 3000, rate: 3000 }));
    const completed = new CheckpointStore(dir).completed();
    expect(completed.length).toBeGreaterThanOrEqual(2);
    fs.mkdirSync(path.join(dir, `chk-${completed[completed.length - 1].id + 1}`));
    const { code, out } = await runCli(["checkpoints", dir]);
    expect(code).toBe(0);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^checkpoint\s+completed\s+age\s+took\s+size\s+builds on\s+parallelism\s+pipeline$/);
    const rows = lines.slice(1, 1 + completed.length);
    expect(rows.map((l) => Number(l.split(/\s+/)[0]))).toEqual(completed.map((c) => c.id));
    const last = completed[completed.length - 1];
    const bytes = Object.values(last.manifest.files).reduce((a, b) => a + b, 0);
    expect(rows[rows.length - 1].split(/\s{2,}/)).toEqual([
      String(last.id), new Date(last.manifest.completedAt).toISOString(), expect.stringMatching(/^\d+ s$/), `${last.manifest.durationMs} ms`, formatBytes(bytes), "-", "1", last.manifest.fingerprint.slice(0, 12),
    ]);
    expect(lines[lines.length - 1]).toMatch(new RegExp(`^checkpoint ${last.id + 1} never completed \\(started \\d+ s ago\\)`));
    expect(r.checkpoints!.sizesBytes.length).toBeGreaterThanOrEqual(completed.length);
  });

  test("an incremental checkpoint (state on disk) names the checkpoints it builds on", async () => {
    const dir = tempDir();
    const store = new CheckpointStore(dir);
    for (const [id, refs] of [[1, null], [2, "[1]"]] as const) {
      store.begin(id);
      if (refs) store.write(id, "refs-0.json", refs);
      store.complete({ id, fingerprint: "f".repeat(64), parallelism: 1, keyGroups: 128, completedAt: 0, durationMs: 1, files: {}, extra: {} });
    }
    const rows = (await runCli(["checkpoints", dir])).out.trimEnd().split("\n").slice(1);
    expect(rows.map((l) => l.split(/\s{2,}/)[5])).toEqual(["-", "1"]);
  });

  test("an empty directory has no checkpoints; a missing one, or no directory, is a clear error", async () => {
    const empty = tempDir();
    expect(await runCli(["checkpoints", empty])).toMatchObject({ code: 0, out: `no checkpoints in ${empty}\n` });
    const missing = path.join(empty, "nope");
    const r = await runCli(["checkpoints", missing]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("BL_NO_CHECKPOINT_DIR");
    expect(fs.existsSync(missing)).toBe(false);
    expect((await runCli(["checkpoints"])).err).toContain("BL_NO_CHECKPOINT_DIR");
  });

  test("sizes and ages read as people write them", () => {
    expect([0, 999, 1000, 1_234_567, 5e12].map(formatBytes)).toEqual(["0 B", "999 B", "1.0 kB", "1.2 MB", "5.0 TB"]);
    expect([0, 89_000, 120_000, 3 * 3600_000, 3 * 86_400_000].map(formatAge)).toEqual(["0 s", "89 s", "2 min", "3.0 h", "3.0 days"]);
  });
});
