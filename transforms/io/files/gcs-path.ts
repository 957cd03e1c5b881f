/** `gs://bucket/name` paths: recognising and splitting them. */
import { IOError } from "../../../sdk/errors";

/** The scheme of Google Cloud Storage paths. */
export const GCS_SCHEME = "gs://";

/** Whether a path names a Google Cloud Storage object or prefix. */
export function isGcsPath(p: string): boolean {
  return typeof p === "string" && p.startsWith(GCS_SCHEME);
}

/** A `gs://` path split into its bucket and object name (the name may be empty: the bucket's root). */
export function parseGcsPath(p: string): { bucket: string; name: string } {
  const rest = p.slice(GCS_SCHEME.length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (!isGcsPath(p) || bucket === "") {
    throw new IOError({
      code: "BL_IO_BAD_GCS_PATH",
      value: p,
      rule: "a Cloud Storage path is gs://BUCKET/NAME",
      fix: 'write it as "gs://my-bucket/path/to/file"',
    });
  }
  return { bucket, name: slash < 0 ? "" : rest.slice(slash + 1) };
}
