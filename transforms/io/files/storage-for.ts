/** The storage of a path, chosen by its scheme: `gs://` is Google Cloud Storage, anything else a local file. */
import { GcsStorage } from "./gcs-storage";
import { isGcsPath } from "./gcs-path";
import { LocalStorage } from "./local-storage";
import type { FileStorage } from "./storage";

const local = new LocalStorage();
let gcs: GcsStorage | null = null;

/** The storage holding `p`. */
export function storageFor(p: string): FileStorage {
  return isGcsPath(p) ? (gcs ??= new GcsStorage()) : local;
}
