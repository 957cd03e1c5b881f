/**
 * `beamline checkpoints DIR`: the checkpoints in a checkpoint directory, newest last, with their number
 * (epoch), when they completed and how long ago, how long they took, their size, the parallelism of the
 * run that took them and its pipeline's fingerprint; and the folders of checkpoints that never completed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { OptionError } from "../../sdk/errors";
import { CheckpointStore } from "../direct/checkpoint/store";

/** A byte count for people: `512 B`, `3.4 kB`, `12.0 MB`. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let v = n;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** A duration for people: `45 s`, `12 min`, `3.5 h`, `2.0 days`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} days`;
}

/** Lays out rows as columns padded to their widest cell. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join("  "));
}

/** The lines `beamline checkpoints DIR` prints, at time `now`. */
export function checkpointLines(dir: string, now = Date.now()): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new OptionError({
      code: "BL_NO_CHECKPOINT_DIR",
      value: dir,
      rule: "is not a directory",
      fix: "pass the directory a run was given with --checkpoint-dir",
    });
  }
  const store = new CheckpointStore(dir);
  const completed = store.completed();
  const done = new Set(completed.map((c) => c.id));
  const unfinished = fs
    .readdirSync(dir)
    .map((n) => /^chk-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && !done.has(Number(m[1])))
    .map((m) => ({ id: Number(m[1]), at: fs.statSync(path.join(dir, m[0])).mtimeMs }))
    .sort((a, b) => a.id - b.id);
  if (completed.length === 0 && unfinished.length === 0) return [`no checkpoints in ${dir}`];
  // "builds on": the checkpoints whose state an incremental one (the disk state backend) adds its changes to.
  const rows: string[][] = [["checkpoint", "completed", "age", "took", "size", "builds on", "parallelism", "pipeline"]];
  for (const { id, manifest: m } of completed) {
    const size = Object.values(m.files).reduce((a, b) => a + b, 0);
    const bases = store.basesOf(id);
    rows.push([String(id), new Date(m.completedAt).toISOString(), formatAge(now - m.completedAt), `${m.durationMs} ms`, formatBytes(size), bases.length > 0 ? bases.join(",") : "-", String(m.parallelism), m.fingerprint.slice(0, 12)]);
  }
  const lines = completed.length > 0 ? table(rows) : [];
  for (const u of unfinished) lines.push(`checkpoint ${u.id} never completed (started ${formatAge(now - u.at)} ago): a run in progress, or one that stopped; the next completed checkpoint removes it`);
  return lines;
}
