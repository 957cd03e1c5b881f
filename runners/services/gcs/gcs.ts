/**
 * A Google Cloud Storage emulator for tests, examples and development: fake-gcs-server, installed once
 * from the Go module proxy into the cache, started in memory on a loopback free port, stopped after.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDir, runTool } from "../../portable/provision/cache";
import { Service, startOnFreePort } from "../../portable/provision/process";

/** The fake-gcs-server release provisioned. */
export const FAKE_GCS_VERSION = "1.56.1";

/** The fake-gcs-server binary in the cache, installed with `go install` when missing. */
export function ensureFakeGcs(version = FAKE_GCS_VERSION): string {
  const dir = cacheDir(`fake-gcs-server-${version}`);
  const bin = path.join(dir, "fake-gcs-server");
  if (fs.existsSync(bin)) return bin;
  runTool("go", ["install", `github.com/fsouza/fake-gcs-server@v${version}`], `installing fake-gcs-server ${version}`, {
    ...process.env,
    GOBIN: dir,
    GOSUMDB: "off",
    GOFLAGS: "-mod=mod",
  });
  return bin;
}

/** A running GCS emulator. */
export interface GcsEmulator extends Service {
  /** Its base URL, `http://127.0.0.1:port`. */
  readonly url: string;
  /** The value of `STORAGE_EMULATOR_HOST` that points @google-cloud/storage at it (`<url>/storage/v1`). */
  readonly storageEmulatorHost: string;
}

/** Starts fake-gcs-server (in-memory, plain HTTP) on a free loopback port and waits until it listens. */
export async function startGcsEmulator(options: { logFile?: string; timeoutMs?: number } = {}): Promise<GcsEmulator> {
  const bin = ensureFakeGcs();
  const logFile = (port: number) => options.logFile ?? path.join(cacheDir("logs"), `fake-gcs-${port}.log`);
  const args = (port: number) => ["-scheme", "http", "-host", "127.0.0.1", "-port", String(port), "-backend", "memory", "-external-url", `http://127.0.0.1:${port}`, "-log-level", "warn"];
  const svc = await startOnFreePort("fake-gcs-server", bin, args, logFile, options.timeoutMs ?? 30_000);
  const url = `http://127.0.0.1:${svc.port}`;
  return { ...svc, url, storageEmulatorHost: `${url}/storage/v1` };
}
