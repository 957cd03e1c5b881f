/**
 * Collects a PCollection's rows into memory, for tests and small results. The rows travel through
 * a two-phase sink, so they appear only when the run succeeds, whatever thread produced them.
 */
import * as arrow from "apache-arrow";
import { paneAt, windowAt, type PaneInfo } from "../../sdk/batch";
import type { JsonValue } from "../../sdk/graph";
import type { PCollection } from "../../sdk/pcollection";
import { rowAccessor } from "../../sdk/rows";
import { type Sink, type SinkWriter, WRITE_URN } from "../../sdk/sink";
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
 * the committed ones to {@link ElementSink.committed}.
 */
export abstract class ElementSink<T> implements Sink {
  private readonly staged = new Map<number, CollectedElement<T>[]>();
  private nextId = 0;
  readonly numShards = 1;

  /** Receives every committed element, in commit order. */
  protected abstract committed(elements: CollectedElement<T>[]): void;

  async open(): Promise<SinkWriter> {
    const id = this.nextId++;
    const buf: CollectedElement<T>[] = [];
    this.staged.set(id, buf);
    return {
      write: (batch) => {
        const read = rowAccessor(batch.data);
        for (let i = 0; i < batch.data.numRows; i++) {
          buf.push({ value: read(i) as T, timestamp: batch.timestamps[i], window: windowAt(batch.windows, i), pane: paneAt(batch.panes, i) });
        }
      },
      close: async () => id,
      abort: async () => {
        this.staged.delete(id);
      },
    };
  }

  async commit(staged: JsonValue[]): Promise<string[]> {
    const all: CollectedElement<T>[] = [];
    for (const id of staged) {
      for (const e of this.staged.get(id as number) ?? []) all.push(e);
      this.staged.delete(id as number);
    }
    this.committed(all);
    return [];
  }

  async abort(staged: JsonValue[]): Promise<void> {
    for (const id of staged) this.staged.delete(id as number);
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
