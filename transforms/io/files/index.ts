/**
 * File plumbing shared by the file formats: glob expansion, compression, a streaming line reader
 * that tracks file, line and byte offset, shard names, and the transactional file sink base
 * (writers stage into `<dir>/.beamline-staging-<random>/`, commit renames into place).
 */
export { ByteFileWriter } from "./byte-file-writer";
export { detectCompression, gzipSuffix, outputCompression, type Compression } from "./compression";
export { FileSink, STAGING_PREFIX, type FileShardWriter, type FileSinkOptions, type StagedFile } from "./file-sink";
export { ioFailure } from "./io-errors";
export { DEFAULT_BATCH_ROWS, lineAt, readLineChunks, type LineChunk, type LinePosition, type LineReadOptions } from "./line-reader";
export { filesToParts, linePosition, partFile, partStart, type FilePart } from "./parts";
export { expandPattern, patternList, type FilePattern } from "./pattern";
export { openInput, readHeadSync } from "./read-input";
export { shardName } from "./shard-name";
export { MIN_SPLIT_BYTES, splitLineFiles, type LineSplitOptions } from "./split-lines";
