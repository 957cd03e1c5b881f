/**
 * Reads entries of a zip archive (a jar) into memory: enough to take Beam's .proto files and test
 * vectors out of its model jars without an unzip tool.
 */
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { ProvisioningError } from "./cache";

/** One file of an archive. */
export interface ZipEntry {
  readonly name: string;
  readonly data: Buffer;
}

/** The entries of the zip file at `file` whose names `wanted` accepts. */
export function readZipEntries(file: string, wanted: (name: string) => boolean): ZipEntry[] {
  const buf = fs.readFileSync(file);
  // The end-of-central-directory record sits in the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw corruptArchive(file, "a zip archive ends with an end-of-central-directory record, and this file has none");
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw corruptArchive(file, `entry ${k} of the central directory does not start with its signature`);
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLen);
    p += 46 + nameLen + extraLen + commentLen;
    if (name.endsWith("/") || !wanted(name)) continue;
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const raw = buf.subarray(start, start + compressed);
    if (method === 0) out.push({ name, data: Buffer.from(raw) });
    else if (method === 8) out.push({ name, data: zlib.inflateRawSync(raw) });
    else throw new ProvisioningError({ code: "BL_UNSUPPORTED_ZIP", domain: "external", where: `${file}, entry ${name}`, value: method, rule: "Beamline reads zip entries that are stored (0) or deflated (8)", fix: "use a jar built with the standard jar or zip tools" });
  }
  return out;
}

/** The error of a cached download that is not a readable zip archive. */
function corruptArchive(file: string, rule: string): ProvisioningError {
  return new ProvisioningError({ code: "BL_CORRUPT_ARCHIVE", domain: "external", value: file, rule, fix: "delete the file; the next run downloads it again" });
}
