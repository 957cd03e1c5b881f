/** How files are compressed: by option or by the `.gz` extension, for reads and for output. */
import { IOError } from "../../../sdk/errors";

/** How a file is compressed: `auto` decides by the `.gz` extension. */
export type Compression = "auto" | "gzip" | "none";

/** Resolves `auto` by extension: `.gz` is gzip, anything else uncompressed. */
export function detectCompression(file: string, compression: Compression = "auto"): "gzip" | "none" {
  if (compression === "gzip" || compression === "none") return compression;
  if (compression !== "auto") {
    throw new IOError({
      code: "BL_IO_BAD_OPTION",
      where: "option compression",
      value: compression,
      rule: 'compression must be "auto", "gzip" or "none"',
      fix: 'pass one of "auto", "gzip", "none"',
    });
  }
  return file.toLowerCase().endsWith(".gz") ? "gzip" : "none";
}

/** Appends `.gz` to a suffix for gzip output (so reads detect it), unless already there. */
export function gzipSuffix(suffix: string, compression: Compression | undefined): string {
  return compression === "gzip" && !suffix.toLowerCase().endsWith(".gz") ? `${suffix}.gz` : suffix;
}

/** Output compression: `auto` means gzip when the suffix ends in `.gz`. */
export function outputCompression(suffix: string, compression: Compression | undefined): "gzip" | "none" {
  if (compression === undefined || compression === "auto") return suffix.toLowerCase().endsWith(".gz") ? "gzip" : "none";
  return detectCompression(suffix, compression);
}
