/**
 * The files the disk state backend writes its checkpoints to: entries `[keyGroup, [entryId, value]]`
 * (a removed entry's value undefined) in chunks, each a 4-byte length and a `v8.serialize`d array,
 * written and read a chunk at a time so that neither side holds more than a chunk of a state larger
 * than memory.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import { makeDirectory } from "../../../sdk/make-directory";

/** One entry of a delta: its key group, id and value (undefined: removed). */
export type DeltaEntry = [keyGroup: number, entry: [id: string, value: unknown]];

/** Entries per chunk. */
const CHUNK = 2048;

/** Writes `entries` to `file` durably, a chunk at a time; returns how many and the file's size. */
export function writeDeltaFile(file: string, entries: Iterable<DeltaEntry>): { count: number; bytes: number } {
  makeDirectory(path.dirname(file));
  const fd = fs.openSync(file, "w");
  let count = 0;
  let bytes = 0;
  try {
    let chunk: DeltaEntry[] = [];
    const put = () => {
      const body = v8.serialize(chunk);
      const head = Buffer.alloc(4);
      head.writeUInt32LE(body.byteLength);
      fs.writeSync(fd, head);
      fs.writeSync(fd, body);
      bytes += 4 + body.byteLength;
      chunk = [];
    };
    for (const e of entries) {
      chunk.push(e);
      count++;
      if (chunk.length === CHUNK) put();
    }
    if (chunk.length > 0) put();
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return { count, bytes };
}

/** The chunks of entries of a file {@link writeDeltaFile} wrote, read one at a time. */
export function* readDeltaFile(file: string): Generator<DeltaEntry[]> {
  const fd = fs.openSync(file, "r");
  try {
    const head = Buffer.alloc(4);
    for (;;) {
      if (fs.readSync(fd, head, 0, 4, null) < 4) return;
      const body = Buffer.alloc(head.readUInt32LE(0));
      if (fs.readSync(fd, body, 0, body.byteLength, null) < body.byteLength) throw new Error(`internal: ${file} ends inside a chunk`);
      yield v8.deserialize(body) as DeltaEntry[];
    }
  } finally {
    fs.closeSync(fd);
  }
}
