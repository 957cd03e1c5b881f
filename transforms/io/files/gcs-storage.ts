/**
 * Google Cloud Storage behind the {@link FileStorage} interface, through @google-cloud/storage. The
 * client follows `STORAGE_EMULATOR_HOST` (an emulator such as fake-gcs-server; include `/storage/v1`)
 * and otherwise uses Application Default Credentials. A directory is a name prefix ending in `/`; a move is
 * a copy and a delete; globs are matched by listing the prefix before the first glob character.
 */
import { randomBytes } from "node:crypto";
import * as path from "node:path";
import { Readable, type Writable } from "node:stream";
import type { Bucket, Storage } from "@google-cloud/storage";
import { GCS_SCHEME, parseGcsPath } from "./gcs-path";
import { globRegex, isGlob, literalPrefix } from "./glob-regex";
import type { FileStorage } from "./storage";

/** The process's client, made on first use. */
let client: Storage | null = null;

/**
 * The Cloud Storage client: an emulator at `STORAGE_EMULATOR_HOST` (`http://host:port/storage/v1`; the
 * client takes JSON API calls from it, and uploads from the endpoint without `/storage/v1`), or Google
 * with Application Default Credentials.
 */
function storageClient(): Storage {
  const emulator = process.env.STORAGE_EMULATOR_HOST;
  const apiEndpoint = emulator ? emulator.replace(/\/+$/, "").replace(/\/storage\/v1$/, "") : undefined;
  // Loaded on first use, so that pipelines on local files never load the client.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (client ??= new (require("@google-cloud/storage") as typeof import("@google-cloud/storage")).Storage(apiEndpoint ? { apiEndpoint } : {}));
}

function bucketOf(p: string): { bucket: Bucket; name: string; root: string } {
  const { bucket, name } = parseGcsPath(p);
  return { bucket: storageClient().bucket(bucket), name, root: `${GCS_SCHEME}${bucket}/` };
}

/** A directory's name prefix: its name with a trailing `/` (empty for the bucket's root). */
function dirPrefix(name: string): string {
  return name === "" || name.endsWith("/") ? name : `${name}/`;
}

/** Google Cloud Storage. */
export class GcsStorage implements FileStorage {
  resolve(p: string): string {
    parseGcsPath(p);
    return p;
  }
  dirname(p: string): string {
    const { root, name } = bucketOf(p);
    const dir = path.posix.dirname(name);
    return dir === "." ? root.slice(0, -1) : root + dir;
  }
  join(dir: string, name: string): string {
    return `${dir.replace(/\/+$/, "")}/${name}`;
  }
  async match(pattern: string): Promise<string[]> {
    const { bucket, name, root } = bucketOf(pattern);
    if (!isGlob(name)) return (await bucket.file(name).exists())[0] ? [pattern] : [];
    const re = globRegex(name);
    const out: string[] = [];
    for (const object of await listNames(bucket, literalPrefix(name))) if (re.test(object)) out.push(root + object);
    return out.sort();
  }
  async size(file: string): Promise<number> {
    const { bucket, name } = bucketOf(file);
    const [meta] = await bucket.file(name).getMetadata();
    return Number(meta.size);
  }
  async exists(p: string): Promise<boolean> {
    const { bucket, name } = bucketOf(p);
    if (name !== "" && !name.endsWith("/") && (await bucket.file(name).exists())[0]) return true;
    const [files] = await bucket.getFiles({ prefix: dirPrefix(name), maxResults: 1, autoPaginate: false });
    return files.length > 0;
  }
  openRead(file: string, start = 0, end?: number): Readable {
    const { bucket, name } = bucketOf(file);
    if (end !== undefined && end <= start) return Readable.from([]); // GCS refuses a range that ends before it starts
    return bucket.file(name).createReadStream({ start, ...(end === undefined ? {} : { end: end - 1 }), decompress: false, validation: false });
  }
  createWrite(file: string): Writable {
    const { bucket, name } = bucketOf(file);
    return bucket.file(name).createWriteStream({ resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
  }
  async writeSmall(file: string, text: string): Promise<void> {
    const { bucket, name } = bucketOf(file);
    await bucket.file(name).save(text, { resumable: false });
  }
  async ensureDir(): Promise<void> {}
  async move(from: string, to: string): Promise<void> {
    const src = bucketOf(from);
    const dst = bucketOf(to);
    await src.bucket.file(src.name).copy(dst.bucket.file(dst.name));
    await src.bucket.file(src.name).delete({ ignoreNotFound: true });
  }
  async remove(file: string): Promise<void> {
    const { bucket, name } = bucketOf(file);
    await bucket.file(name).delete({ ignoreNotFound: true });
  }
  async makeTempDir(dir: string, namePrefix: string): Promise<string> {
    return this.join(dir, namePrefix + randomBytes(6).toString("hex"));
  }
  async list(dir: string): Promise<string[]> {
    const { bucket, name } = bucketOf(dir);
    const prefix = dirPrefix(name);
    const names = new Set<string>();
    for (const object of await listNames(bucket, prefix)) names.add(object.slice(prefix.length).split("/")[0]);
    return [...names].sort();
  }
  async removeDir(dir: string): Promise<void> {
    const { bucket, name } = bucketOf(dir);
    const objects = await listNames(bucket, dirPrefix(name));
    await Promise.all(objects.map((o) => bucket.file(o).delete({ ignoreNotFound: true })));
  }
}

/** The names of every object under a prefix. */
async function listNames(bucket: Bucket, prefix: string): Promise<string[]> {
  const [files] = await bucket.getFiles({ prefix, autoPaginate: true });
  return files.map((f) => f.name);
}
