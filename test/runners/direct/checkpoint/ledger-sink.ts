/**
 * A sink written only against the public two-phase sink contract, and no file sink: writers keep
 * rows in memory and prepare them as a durable "transaction" file; the committer applies a
 * transaction to one ledger (a JSON file replaced atomically) unless the ledger holds it already, the
 * way a transactional store dedupes by transaction id. As a pipeline file, the `beamline` command
 * runs it: text lines in, the ledger out.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { definePipeline, option, readText, recordBatchToRows, writeTo } from "beamline";
import type { Committer, Sink, SinkRecovery, SinkWriter, WriterContext } from "beamline";

/** A prepared transaction: its id and the file that holds its rows. */
interface Txn {
  readonly txn: string;
  readonly file: string;
  readonly [k: string]: string;
}

/** What the ledger holds: every applied transaction's rows, by transaction id. */
export interface Ledger {
  readonly applied: Record<string, string[]>;
}

/** The ledger file in `dir`. */
export function ledgerFile(dir: string): string {
  return path.join(dir, "ledger.json");
}

/** The folder of prepared transactions in `dir`. */
export function preparedDir(dir: string): string {
  return path.join(dir, "prepared");
}

/** Reads the ledger in `dir` (empty when none was written). */
export function readLedger(dir: string): Ledger {
  const f = ledgerFile(dir);
  return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as Ledger) : { applied: {} };
}

/** Writes a file durably: to a temporary name, then renamed into place. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

class LedgerCommitter implements Committer<Txn> {
  constructor(private readonly dir: string) {}

  async commit(txns: readonly Txn[]): Promise<string[]> {
    const ledger = readLedger(this.dir);
    const applied = { ...ledger.applied };
    for (const t of txns) {
      if (applied[t.txn]) continue; // applied before: done is done
      applied[t.txn] = JSON.parse(fs.readFileSync(t.file, "utf8")) as string[];
    }
    writeAtomically(ledgerFile(this.dir), JSON.stringify({ applied }));
    for (const t of txns) fs.rmSync(t.file, { force: true });
    return [];
  }

  async abort(txns: readonly Txn[]): Promise<void> {
    for (const t of txns) fs.rmSync(t.file, { force: true });
  }
}

/** The ledger sink: one writer, transactions named after the checkpoint that prepared them. */
export class LedgerSink implements Sink<Txn> {
  readonly numShards = 1;
  readonly committer: LedgerCommitter;

  constructor(private readonly dir: string) {
    this.committer = new LedgerCommitter(dir);
  }

  async createWriter(context: WriterContext): Promise<SinkWriter<Txn>> {
    fs.mkdirSync(preparedDir(this.dir), { recursive: true });
    let rows: string[] = [];
    return {
      write: (batch) => {
        for (const r of recordBatchToRows(batch.data) as string[]) rows.push(r);
      },
      prepareCommit: async (checkpointId) => {
        if (rows.length === 0 && checkpointId !== null) return [];
        const txn = `${checkpointId ?? "end"}-${context.index}`;
        const file = path.join(preparedDir(this.dir), `${txn}.json`);
        writeAtomically(file, JSON.stringify(rows));
        rows = [];
        return [{ txn, file }];
      },
      abort: async () => {
        rows = [];
      },
    };
  }

  async abortLingering(recovery: SinkRecovery<Txn>): Promise<void> {
    const keep = new Set(recovery.committables.map((t) => path.basename(t.file)));
    const dir = preparedDir(this.dir);
    if (!fs.existsSync(dir)) return;
    for (const name of fs.readdirSync(dir)) if (!keep.has(name)) fs.rmSync(path.join(dir, name), { force: true });
  }
}

/** Text lines → the ledger. */
export default definePipeline({
  options: {
    input: option.string("input file", { default: "in.txt" }),
    ledger: option.string("ledger directory", { default: "ledger" }),
  },
  build(p, { input, ledger }) {
    p.apply("Read", readText(input)).apply("Write", writeTo(new LedgerSink(ledger), { kind: "ledger" }));
  },
});
