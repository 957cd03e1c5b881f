/**
 * The write operator's commits in a checkpointed run, against a transactional sink held to the sink
 * contract: a commit that backs off after transient failures holds up the checkpoints after it (their
 * completions never commit alongside it), and a run restarted in-process after some transactions
 * were committed neither commits them again nor writes their rows into new ones. Exactly once is
 * counted in rows: every row of the input in exactly one committed transaction.
 */
import { DirectRunner, IOError, Pipeline, PTransform, recordBatchToRows, rowsToRecordBatch, schema, t, writeTo } from "beamline";
import type { BoundedSource, Committer, ExpandContext, PBegin, PCollection, SinkRecovery, SinkWriter, SourceChunk, Sink } from "beamline";
import { globalBatch } from "../../../../sdk/batch";
import { READ_URN } from "../../../../sdk/source";
import { restartStrategy } from "../../../../runners/direct/parallel/restart";
import { tempDir } from "../../../helpers";

const ROW = schema({ i: t.int64() });
const ROWS = 400;

/** One part of `ROWS` rows `i`, ten a chunk with its position, a millisecond apart: checkpoints fall between chunks. */
const slowSource: BoundedSource = {
  split: async () => [0],
  read: (_part, from, ctx) =>
    (async function* (): AsyncIterable<SourceChunk> {
      for (let i = (from as number | null) ?? 0; i < ROWS; i += 10) {
        const rows = Array.from({ length: 10 }, (_, j) => ({ i: i + j }));
        yield { batch: globalBatch(rowsToRecordBatch(rows, ROW.arrow, "test")), position: i + 10 };
        if (!(await ctx!.sleep(1))) return;
      }
    })(),
};

function readRows(p: Pipeline): PCollection<{ i: number }> {
  return p.apply(
    "Read",
    new (class extends PTransform<PBegin, PCollection<{ i: number }>> {
      expand(_: PBegin, ctx: ExpandContext): PCollection<{ i: number }> {
        return ctx.primitive({ urn: READ_URN, payload: { source: "test" }, inputs: {}, outputs: { main: { schema: ROW.arrow, bounded: true } }, fn: slowSource }).main;
      }
    })("Read"),
  );
}

/** A prepared transaction: its id, unique over the sink's life (restarts included). */
type Txn = { readonly txn: string };

/**
 * An in-memory transactional store: writers stage rows, a prepare makes them a transaction, the
 * committer applies a transaction once (a second commit of it is done already) and refuses one that
 * was aborted, and recovery aborts every prepared transaction the restored checkpoint does not hold.
 */
class TxnSink implements Sink<Txn> {
  readonly numShards = 1;
  /** Rows of each committed transaction, by id, in commit order. */
  readonly committed = new Map<string, number[]>();
  private readonly prepared = new Map<string, number[]>();
  private readonly aborted = new Set<string>();
  private txns = 0;
  private inFlight = 0;
  /** The most commits that ran at once. */
  maxInFlight = 0;
  /** Commit calls holding a transaction; the hook may fail one (before it applies anything). */
  commitCalls = 0;
  /** Rows staged by writers, over every attempt. */
  staged = 0;

  constructor(
    private readonly hooks: { beforeCommit?: (call: number) => void; onWrite?: (sink: TxnSink) => void } = {},
  ) {}

  readonly committer: Committer<Txn> = {
    commit: async (txns) => {
      if (txns.length === 0) return [];
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
      try {
        this.hooks.beforeCommit?.(++this.commitCalls);
        await new Promise((r) => setTimeout(r, 5)); // a round trip: room for anything else to commit meanwhile
        for (const { txn } of txns) {
          if (this.committed.has(txn)) continue;
          if (this.aborted.has(txn)) throw new Error(`transaction ${txn} was aborted and cannot be committed`);
          const rows = this.prepared.get(txn);
          if (!rows) throw new Error(`transaction ${txn} was never prepared`);
          this.prepared.delete(txn);
          this.committed.set(txn, rows);
        }
        return [];
      } finally {
        this.inFlight--;
      }
    },
    abort: async (txns) => {
      for (const { txn } of txns) this.abortTxn(txn);
    },
  };

  async createWriter(): Promise<SinkWriter<Txn>> {
    let rows: number[] = [];
    return {
      write: (batch) => {
        this.hooks.onWrite?.(this);
        for (const r of recordBatchToRows(batch.data) as { i: number }[]) rows.push(Number(r.i));
        this.staged += batch.data.numRows;
      },
      prepareCommit: async (checkpointId) => {
        if (rows.length === 0 && checkpointId !== null) return [];
        const txn = `t${++this.txns}`;
        this.prepared.set(txn, rows);
        rows = [];
        return [{ txn }];
      },
      abort: async () => {
        rows = [];
      },
    };
  }

  async abortLingering(recovery: SinkRecovery<Txn>): Promise<void> {
    const kept = new Set(recovery.committables.map((c) => c.txn));
    for (const txn of [...this.prepared.keys()]) if (!kept.has(txn)) this.abortTxn(txn);
  }

  /** Every committed row, sorted (a row in two transactions appears twice). */
  rows(): number[] {
    return [...this.committed.values()].flat().sort((a, b) => a - b);
  }

  private abortTxn(txn: string): void {
    if (this.committed.has(txn)) throw new Error(`transaction ${txn} was committed and cannot be aborted`);
    this.prepared.delete(txn);
    this.aborted.add(txn);
  }
}

const every = Array.from({ length: ROWS }, (_, i) => i);
const transient = () => new IOError({ code: "BL_TEST_UNAVAILABLE", domain: "external", retriable: true, rule: "the store is briefly unavailable" });

describe("the write operator's commits in a checkpointed run", () => {
  test("a commit backing off after transient failures is never joined by the next checkpoint's: one commit at a time, every row committed once", async () => {
    const sink = new TxnSink({ beforeCommit: (call) => {
      if (call <= 2) throw transient(); // the first transaction's commit fails twice: about 200 ms, then 400 ms of backoff
    } });
    const p = new Pipeline();
    readRows(p).apply("Write", writeTo(sink));
    const r = await new DirectRunner({ parallelism: 1, checkpoint: { dir: tempDir(), intervalMs: 5 } }).run(p);
    expect(sink.maxInFlight).toBe(1);
    expect(sink.rows()).toEqual(every);
    expect(r.metrics.counters.get("Write")?.get("ioRetries")).toBe(2);
    // Checkpoints were due every 5 ms while the first commit backed off; rows came in several transactions.
    expect(sink.committed.size).toBeGreaterThan(2);
  }, 30_000);

  test("restarted in-process after transactions were committed, the run commits each row once: neither those transactions again nor their rows in new ones", async () => {
    let failed = false;
    let committedBefore = 0;
    const sink = new TxnSink({ onWrite: (s) => {
      // Once, after transactions with rows were committed and while rows are still to come: a retriable failure (a thread dying).
      if (!failed && s.committed.size >= 2 && s.staged < ROWS - 50) {
        failed = true;
        committedBefore = s.rows().length;
        throw transient();
      }
    } });
    const p = new Pipeline();
    readRows(p).apply("Write", writeTo(sink));
    const r = await new DirectRunner({ parallelism: 1, checkpoint: { dir: tempDir(), intervalMs: 5 }, restartStrategy: restartStrategy("fixed-delay", 2, 10) }).run(p);
    expect(failed).toBe(true);
    expect(committedBefore).toBeGreaterThan(0);
    expect(r.restarts).toBe(1);
    expect(r.checkpoints!.restartedFrom).toEqual([expect.any(Number)]);
    expect(sink.rows()).toEqual(every);
  }, 30_000);
});
