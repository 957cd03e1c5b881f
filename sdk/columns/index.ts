/**
 * Columnar kernels on Arrow data: read values, build columns from JavaScript values, and take, filter
 * and concatenate record batches. Hot paths work on the typed arrays behind `arrow.Data` (values,
 * offsets, validity bitmaps), never on Arrow's per-row getters or row proxies.
 *
 * Conventions for values read (shared with rows.ts): utf8 → string, numbers → number, int64 → number
 * (bigint only beyond Number.MAX_SAFE_INTEGER), timestamp → number of ms, bool → boolean,
 * binary → Uint8Array (a copy), list → plain array, struct → plain object, null → null.
 */
export { buildData, vectorFromValues, writeStructChildren } from "./build-data";
export { concatData, concatRecordBatches, singleData } from "./concat";
export { dataReader } from "./data-reader";
export { emptyData, emptyRecordBatch } from "./empty";
export { filterRecordBatch } from "./filter";
export { recordBatchFromColumns } from "./from-columns";
export { keepsStrings } from "./kept-strings";
export { makeRecordBatch } from "./make-record-batch";
export { objectMaker } from "./object-maker";
export type { ValueReader } from "./plain-values";
export { utf8Values } from "./read-utf8";
export { takeData, takeRecordBatch, takeVector } from "./take";
export { valueReader, vectorValues } from "./vector-reader";
export type { WriteContext } from "./write-context";

import { decodeUtf8 as decodeUtf8Here } from "./read-utf8";
/**
 * @internal Decodes UTF-8 bytes `[start, end)` of `buf`, reusing the string of an earlier decode of the
 * same bytes. Bound here rather than re-exported, so that importers calling it once per row reach it
 * through one module binding instead of two.
 */
export const decodeUtf8: (buf: Buffer, start: number, end: number) => string = decodeUtf8Here;
