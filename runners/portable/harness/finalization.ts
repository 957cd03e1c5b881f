/**
 * Bundle finalization: what a bundle asks to be told once the runner has durably committed its output
 * (Beam's `FinalizeBundleRequest`). Here: the parts a bundle read of a source that publishes its
 * progress (`checkpointCompleted`: consumer group offsets, acknowledgements), with the positions it
 * reached. Callbacks the runner never finalizes expire.
 */
import type { BoundedSource, PartPosition } from "../../../sdk/source";

/** How long (ms) a bundle's finalization waits for the runner before it is dropped. */
export const FINALIZATION_EXPIRY_MS = 10 * 60_000;

/** The progress one bundle made on sources that publish it: positions reached, by source. */
export class BundleProgress {
  private readonly bySource = new Map<BoundedSource, PartPosition[]>();

  /** Records that the bundle read `part` of `source` up to `position` (kept only for sources that publish progress). */
  reached(source: BoundedSource, position: PartPosition): void {
    if (!source.checkpointCompleted) return;
    let l = this.bySource.get(source);
    if (!l) this.bySource.set(source, (l = []));
    l.push(position);
  }

  /** Whether the bundle needs finalizing. */
  get empty(): boolean {
    return this.bySource.size === 0;
  }

  /** Publishes every position recorded, source by source; resolves to the failures (a failure does not stop the others). */
  async publish(): Promise<unknown[]> {
    const failures: unknown[] = [];
    for (const [source, positions] of this.bySource) {
      try {
        await source.checkpointCompleted!(positions);
      } catch (e) {
        failures.push(e);
      }
    }
    return failures;
  }
}

/** Bundles awaiting finalization, by instruction id. */
export class PendingFinalizations {
  private readonly pending = new Map<string, { progress: BundleProgress; timer: NodeJS.Timeout }>();

  constructor(private readonly expiryMs = FINALIZATION_EXPIRY_MS) {}

  /** Keeps `progress` for the runner's finalization of `instructionId`; returns whether the bundle needs one. */
  add(instructionId: string, progress: BundleProgress): boolean {
    if (progress.empty) return false;
    const timer = setTimeout(() => this.pending.delete(instructionId), this.expiryMs);
    timer.unref();
    this.pending.set(instructionId, { progress, timer });
    return true;
  }

  /** Finalizes `instructionId` (once; an unknown or expired one does nothing); resolves to the failures. */
  async finalize(instructionId: string): Promise<unknown[]> {
    const p = this.pending.get(instructionId);
    if (!p) return [];
    this.pending.delete(instructionId);
    clearTimeout(p.timer);
    return p.progress.publish();
  }

  /** How many bundles await finalization. */
  get size(): number {
    return this.pending.size;
  }

  /** Drops every pending finalization. */
  clear(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }
}
