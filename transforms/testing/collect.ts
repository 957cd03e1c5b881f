/**
 * Collects a PCollection's rows into memory, for tests and small results. The rows travel through
 * a two-phase sink, so they appear only when the run succeeds, whatever thread produced them.
 */
import * as arrow from "apache-arrow";
import { paneAt, windowAt, type PaneInfo } from "../../sdk/batch";
import type { PCollection } from "../../sdk/pcollection";
import { rowAccessor } from "../../sdk/rows";
import { type Committer, type Sink, type SinkRecovery, type SinkWriter, type WriterContext, WRITE_URN } from "../../sdk/sink";
import { PTransform, type ExpandContext } from "../../sdk/transform";
import type { Window } from "../../sdk/window";

/** A collected row with its event time, window and pane. */
export interface CollectedElement<T> {
  readonly value: T;
  readonly timestamp: number;
  readonly window: Window;
  readonly pane: PaneInfo;
}

/** What {@link collect} fills in when the run completes. */
export class Collected<T> {
  /** The elements with their metadata, in arrival order. */
  readonly elements: CollectedElement<T>[] = [];
  /** The rows alone. */
  get rows(): T[] {
    return this.elements.map((e) => e.value);
  }
}

const FILE_SCHEMA = new arrow.Schema([new arrow.Field("file", new arrow.Utf8(), true)]);

/**
 * @internal A two-phase sink that keeps each writer's rows with their metadata in memory and hands
 * the committed ones to {@link ElementSink.committed}. A committable is the number of a prepared set
 * of rows; committing a number committed (or aborted) before publishes nothing.
 */
export abstract class ElementSink<T> implements Sink<number> {
  private readonly prepared = new Map<number, CollectedElement<T>[]>();
  private nextId = 0;
  readonly numShards = 1;
  readonly committer: Committer<number> = {
    commit: async (ids) => {
      const all: CollectedElement<T>[] = [];
      let fresh = false;
      for (const id of ids) {
        const rows = this.prepared.get(id);
        if (!rows) continue; // committed before: done is done
        fresh = true;
        for (const e of rows) all.push(e);
        this.prepared.delete(id);
      }
      if (fresh) this.committed(all);
      return [];
    },
    abort: async (ids) => {
      for (const id of ids) this.prepared.delete(id);
    },
  };

  /** Receives every committed element, in commit order. */
  protected abstract committed(elements: CollectedElement<T>[]): void;

  async createWriter(_context: WriterContext): Promise<SinkWriter<number>> {
    let buf: CollectedElement<T>[] = [];
    return {
      write: (batch) => {
        const read = rowAccessor(batch.data);
        for (let i = 0; i < batch.data.numRows; i++) {
          buf.push({ value: read(i) as T, timestamp: batch.timestamps[i], window: windowAt(batch.windows, i), pane: paneAt(batch.panes, i) });
        }
      },
      prepareCommit: async (checkpointId) => {
        if (buf.length === 0 && checkpointId !== null) return [];
        const id = this.nextId++;
        this.prepared.set(id, buf);
        buf = [];
        return [id];
      },
      abort: async () => {
        buf = [];
      },
    };
  }

  /** Forgets every prepared set the restored committables do not hold. */
  async abortLingering(recovery: SinkRecovery<number>): Promise<void> {
    const keep = new Set(recovery.committables);
    for (const id of [...this.prepared.keys()]) if (!keep.has(id)) this.prepared.delete(id);
  }
}

class MemorySink<T> extends ElementSink<T> {
  constructor(private readonly target: Collected<T>) {
    super();
  }

  protected committed(elements: CollectedElement<T>[]): void {
    for (const e of elements) this.target.elements.push(e);
  }
}

/** Collects the rows of `pc`; read `.rows` or `.elements` after the pipeline has run. */
export function collect<T>(pc: PCollection<T>, name = "Collect"): Collected<T> {
  const target = new Collected<T>();
  pc.apply(
    name,
    new (class extends PTransform<PCollection<T>, PCollection<{ file: string }>> {
      expand(input: PCollection<T>, ctx: ExpandContext): PCollection<{ file: string }> {
        return ctx.primitive({
          urn: WRITE_URN,
          payload: { sink: "memory" },
          inputs: { main: input },
          outputs: { main: { schema: FILE_SCHEMA } },
          fn: new MemorySink<T>(target),
        }).main;
      }
    })("Collect"),
  );
  return target;
}
