/** The parts of file sources: one per file, where a line-based part starts, its file, and what it has left to read. */
import * as fs from "node:fs";
import { IOError } from "../../../sdk/errors";
import type { JsonValue } from "../../../sdk/graph";
import type { ReadContext } from "../../../sdk/source";
import type { LinePosition } from "./line-reader";
import { isGcsPath } from "./gcs-path";
import { matchFiles, type FilePattern } from "./pattern";

/** @internal Reads a JSON position of a line-based read back. */
export function linePosition(from: JsonValue | null): LinePosition | null {
  if (from && typeof from === "object" && !Array.isArray(from) && typeof from.offset === "number" && typeof from.line === "number") {
    return { offset: from.offset, line: from.line };
  }
  return null;
}

/** @internal The part descriptor of the file-per-part sources. */
export interface FilePart {
  readonly file: string;
  readonly [k: string]: JsonValue;
}

/** Splits into one part per matched file, local or `gs://` (a runner reads parts in parallel). */
export async function filesToParts(pattern: FilePattern, where: string): Promise<JsonValue[]> {
  return (await matchFiles(pattern, where)).map((file) => ({ file }));
}

/** @internal Where a line-based part starts: at its position when resuming, else at its range's start and first line. */
export function partStart(part: JsonValue, from: JsonValue | null): { from: LinePosition | null; end?: number } {
  const range = part as { start?: JsonValue; end?: JsonValue; line?: JsonValue };
  const end = typeof range.end === "number" ? range.end : undefined;
  const resumed = linePosition(from);
  if (resumed) return { from: resumed, end };
  if (typeof range.start === "number" && range.start > 0) {
    return { from: { offset: range.start, line: typeof range.line === "number" ? range.line : 1 }, end };
  }
  return { from: null, end };
}

/** @internal The file of a part, checked. */
export function partFile(part: JsonValue): string {
  if (part && typeof part === "object" && !Array.isArray(part) && typeof part.file === "string") return part.file;
  throw new IOError({
    code: "BL_IO_BAD_PART",
    domain: "internal",
    value: part,
    rule: "a file source part must be an object with a string `file`",
    fix: "pass the parts returned by split() unchanged",
  });
}

/**
 * @internal Reports to the runner, after each chunk, the bytes a line-based part has left: up to its
 * range's end, or the file's size. Nothing for a compressed file (its offsets are in the decompressed stream).
 */
export function backlogReporter(ctx: ReadContext | undefined, part: JsonValue, compressed: boolean): (offset: number) => void {
  const file = partFile(part);
  // The size of a gs:// object is not looked up per part (a request each): no backlog for them.
  if (!ctx?.reportBacklog || compressed || isGcsPath(file)) return () => {};
  const range = part as { start?: JsonValue; end?: JsonValue };
  const limit = typeof range.end === "number" ? range.end : fs.statSync(file).size;
  // A part that is a byte range of its file is named by where it starts.
  const partition = typeof range.start === "number" && range.start > 0 ? `${file}@${range.start}` : file;
  return (offset) => ctx.reportBacklog!(partition, { bytes: Math.max(0, limit - offset) });
}
