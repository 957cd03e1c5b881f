/**
 * Bundle finalization in the harness: a bundle's reads of sources that publish their progress record
 * the positions they reached; the runner's finalization publishes them once (per source, a failing
 * source not stopping the others); bundles the runner never finalizes expire; sources that publish
 * nothing need no finalization.
 */
import type { PartPosition } from "beamline";
import type { JsonValue } from "../../../sdk/graph";
import { BundleProgress, PendingFinalizations } from "../../../runners/portable/harness/finalization";
import { SequenceSource } from "../../../transforms/sources";

/** A sequence whose completed checkpoints are recorded (or fail, when `fail` is set). */
class PublishingSequence extends SequenceSource {
  readonly published: PartPosition[][] = [];
  constructor(private readonly fail = false) {
    super({ from: 0, batchSize: 10 });
  }
  async checkpointCompleted(positions: readonly PartPosition[]): Promise<void> {
    if (this.fail) throw new Error("broker unreachable");
    this.published.push([...positions]);
  }
}

const part = (from: number): JsonValue => ({ from, to: null });

test("the runner's finalization publishes each source's positions once; an unknown or repeated one publishes nothing", async () => {
  const a = new PublishingSequence();
  const b = new PublishingSequence();
  const progress = new BundleProgress();
  progress.reached(a, { part: part(0), position: 40 });
  progress.reached(a, { part: part(100), position: 130 });
  progress.reached(b, { part: part(0), position: 7 });
  const pending = new PendingFinalizations();
  expect(pending.add("bundle-1", progress)).toBe(true);
  expect(await pending.finalize("bundle-0")).toEqual([]);
  expect(a.published).toEqual([]);
  expect(await pending.finalize("bundle-1")).toEqual([]);
  expect(a.published).toEqual([[{ part: part(0), position: 40 }, { part: part(100), position: 130 }]]);
  expect(b.published).toEqual([[{ part: part(0), position: 7 }]]);
  await pending.finalize("bundle-1");
  expect(a.published).toHaveLength(1);
  expect(pending.size).toBe(0);
});

test("a source that publishes nothing needs no finalization", () => {
  const progress = new BundleProgress();
  progress.reached(new SequenceSource({ from: 0, batchSize: 10 }), { part: part(0), position: 40 });
  expect(progress.empty).toBe(true);
  expect(new PendingFinalizations().add("bundle-1", progress)).toBe(false);
});

test("a source failing to publish is reported, and the others still publish", async () => {
  const broken = new PublishingSequence(true);
  const fine = new PublishingSequence();
  const progress = new BundleProgress();
  progress.reached(broken, { part: part(0), position: 1 });
  progress.reached(fine, { part: part(0), position: 2 });
  const pending = new PendingFinalizations();
  pending.add("b", progress);
  const failures = await pending.finalize("b");
  expect(failures).toEqual([expect.objectContaining({ message: "broker unreachable" })]);
  expect(fine.published).toEqual([[{ part: part(0), position: 2 }]]);
});

test("a bundle the runner never finalizes expires", async () => {
  const source = new PublishingSequence();
  const progress = new BundleProgress();
  progress.reached(source, { part: part(0), position: 3 });
  const pending = new PendingFinalizations(50);
  pending.add("b", progress);
  await new Promise((r) => setTimeout(r, 120));
  expect(pending.size).toBe(0);
  await pending.finalize("b");
  expect(source.published).toEqual([]);
});
