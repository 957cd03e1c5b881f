/**
 * File plumbing shared by the file formats, over local files and `gs://` (storage chosen by scheme): glob expansion, compression, a streaming line reader
 * that tracks file, line and byte offset, shard names, and the transactional file sink base on the
 * two-phase sink contract (writers stage into `<dir>/.beamline-staging-<sink>-<run>-<random>/`, the
 * committer renames into place, recovery removes what lingers in staging).
 */
export { ByteFileWriter } from "./byte-file-writer";
export { detectCompression, gzipSuffix, outputCompression, type Compression } from "./compression";
export { FileCommitter } from "./file-committer";
export { FileSink, type FileSinkOptions } from "./file-sink";
export { FileSinkWriter, type FileShardWriter, type FileSinkWriterOptions } from "./file-sink-writer";
export { ioFailure } from "./io-errors";
export { DEFAULT_BATCH_ROWS, lineAt, readLineChunks, type LineChunk, type LinePosition, type LineReadOptions } from "./line-reader";
export { backlogReporter, filesToParts, linePosition, partFile, partStart, type FilePart } from "./parts";
export { expandPattern, matchFiles, patternList, type FilePattern } from "./pattern";
export { GCS_SCHEME, isGcsPath } from "./gcs-path";
export { storageFor } from "./storage-for";
export type { FileStorage } from "./storage";
export { openInput, readHeadSync } from "./read-input";
export { openBlob, openRandomAccess, readWhole, type RandomAccessFile } from "./random-access";
export { shardName } from "./shard-name";
export { PUBLISHED_MARKER, STAGING_PREFIX, StagingArea, type StagedFile } from "./staging";
export { MIN_SPLIT_BYTES, splitLineFiles, splitLineInput, type LineSplitOptions } from "./split-lines";
