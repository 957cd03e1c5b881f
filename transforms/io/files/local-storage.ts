/** Local files behind the {@link FileStorage} interface: `node:fs` and fast-glob. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Readable, Writable } from "node:stream";
import fg from "fast-glob";
import type { FileStorage } from "./storage";
import { makeDirectory } from "../../../sdk/make-directory";

/** The local file system. */
export class LocalStorage implements FileStorage {
  resolve(p: string): string {
    return path.resolve(p);
  }
  dirname(p: string): string {
    return path.dirname(p);
  }
  join(dir: string, name: string): string {
    return path.join(dir, name);
  }
  async match(pattern: string): Promise<string[]> {
    const literal = path.resolve(pattern);
    if (await isFile(literal)) return [literal];
    const found = await fg(pattern.split(path.sep).join("/"), { onlyFiles: true, absolute: true, dot: false, unique: true });
    return found.map((m) => path.normalize(m)).sort();
  }
  async size(file: string): Promise<number> {
    return (await fs.promises.stat(file)).size;
  }
  async exists(p: string): Promise<boolean> {
    try {
      await fs.promises.access(p);
      return true;
    } catch {
      return false;
    }
  }
  openRead(file: string, start = 0, end?: number): Readable {
    return fs.createReadStream(file, { start, end: end === undefined ? undefined : end - 1, highWaterMark: 1 << 20 });
  }
  createWrite(file: string): Writable {
    return fs.createWriteStream(file, { flags: "wx", highWaterMark: 1 << 20 });
  }
  writeSmall(file: string, text: string): Promise<void> {
    return fs.promises.writeFile(file, text);
  }
  async ensureDir(dir: string): Promise<void> {
    makeDirectory(dir);
  }
  move(from: string, to: string): Promise<void> {
    return fs.promises.rename(from, to);
  }
  remove(file: string): Promise<void> {
    return fs.promises.rm(file, { force: true });
  }
  async makeTempDir(dir: string, namePrefix: string): Promise<string> {
    makeDirectory(dir);
    return fs.promises.mkdtemp(path.join(dir, namePrefix));
  }
  async list(dir: string): Promise<string[]> {
    try {
      return await fs.promises.readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
  }
  removeDir(dir: string): Promise<void> {
    return fs.promises.rm(dir, { recursive: true, force: true });
  }
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await fs.promises.stat(p)).isFile();
  } catch {
    return false;
  }
}
