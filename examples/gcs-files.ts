/**
 * Puts local files into Cloud Storage and prints objects, for trying pipelines on gs:// (on
 * fake-gcs-server with `STORAGE_EMULATOR_HOST=http://HOST:PORT/storage/v1`, or on Google with
 * Application Default Credentials):
 *
 *   npx tsx examples/gcs-files.ts put FILE… gs://BUCKET/PREFIX/   # makes the bucket when missing; uploads each file under the prefix
 *   npx tsx examples/gcs-files.ts cat 'gs://BUCKET/NAME*'         # prints the objects (a * in the last part matches any characters), gunzipping .gz ones
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { Storage } from "@google-cloud/storage";

/** A `gs://bucket/name` path split. */
function parse(p: string): { bucket: string; name: string } {
  const m = /^gs:\/\/([^/]+)\/?(.*)$/.exec(p);
  if (!m) throw new Error(`${p} is not a gs://BUCKET/NAME path`);
  return { bucket: m[1], name: m[2] };
}

async function client(): Promise<Storage> {
  const { Storage: Client } = await import("@google-cloud/storage");
  const emulator = process.env.STORAGE_EMULATOR_HOST?.replace(/\/+$/, "").replace(/\/storage\/v1$/, "");
  return new Client(emulator ? { apiEndpoint: emulator, projectId: "beamline-demo" } : {});
}

/** Uploads `files` under `target` (`gs://bucket/prefix/`), making the bucket when missing; returns the objects written. */
export async function put(files: readonly string[], target: string): Promise<string[]> {
  const { bucket, name } = parse(target);
  const storage = await client();
  const [exists] = await storage.bucket(bucket).exists();
  if (!exists) await storage.createBucket(bucket);
  const prefix = name === "" || name.endsWith("/") ? name : `${name}/`;
  const written: string[] = [];
  for (const file of files) {
    await storage.bucket(bucket).file(prefix + path.basename(file)).save(fs.readFileSync(file), { resumable: false });
    written.push(`gs://${bucket}/${prefix}${path.basename(file)}`);
  }
  return written;
}

/** The text of every object `pattern` matches (`*` matches any characters within the last part), in name order. */
export async function cat(pattern: string): Promise<string> {
  const { bucket, name } = parse(pattern);
  const literal = name.split("*")[0];
  const re = new RegExp(`^${name.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*")}$`);
  const [files] = await (await client()).bucket(bucket).getFiles({ prefix: literal });
  let text = "";
  for (const f of files.filter((f) => re.test(f.name)).sort((a, b) => a.name.localeCompare(b.name))) {
    const [bytes] = await f.download();
    text += (f.name.endsWith(".gz") ? zlib.gunzipSync(bytes) : bytes).toString("utf8");
  }
  return text;
}

if (require.main === module) {
  const [command, ...args] = process.argv.slice(2);
  const run =
    command === "put" && args.length >= 2
      ? put(args.slice(0, -1), args[args.length - 1]).then((written) => process.stderr.write(`${written.join("\n")}\n`))
      : command === "cat" && args.length === 1
        ? cat(args[0]).then((text) => process.stdout.write(text))
        : Promise.reject(new Error("usage: gcs-files.ts put FILE… gs://BUCKET/PREFIX/ | cat 'gs://BUCKET/NAME*'"));
  run.catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
