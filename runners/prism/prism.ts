/**
 * Beam's Prism runner: installed once from the Go module proxy into the cache, started on a free
 * loopback port per use, stopped after.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { BEAM_VERSION, cacheDir, runTool } from "../portable/provision/cache";
import { Service, startOnFreePort } from "../portable/provision/process";

/** The Prism binary in the cache, installed with `go install` when missing. */
export function ensurePrism(version = BEAM_VERSION): string {
  const dir = cacheDir(`prism-${version}`);
  const bin = path.join(dir, "prism");
  if (fs.existsSync(bin)) return bin;
  // The module proxy serves Beam's module; its checksum database may be out of reach, so it is not consulted.
  runTool("go", ["install", `github.com/apache/beam/sdks/v2/go/cmd/prism@v${version}`], `installing Prism ${version}`, {
    ...process.env,
    GOBIN: dir,
    GOSUMDB: "off",
    GOFLAGS: "-mod=mod",
  });
  return bin;
}

/** A running Prism job service. */
export interface PrismService extends Service {
  /** The job endpoint, `127.0.0.1:port`. */
  readonly jobEndpoint: string;
}

/** Starts Prism on a free port and waits until its job service listens. */
export async function startPrism(options: { logFile?: string; timeoutMs?: number } = {}): Promise<PrismService> {
  const bin = ensurePrism();
  const logFile = (port: number) => options.logFile ?? path.join(cacheDir("logs"), `prism-${port}.log`);
  const svc = await startOnFreePort("prism", bin, (port) => [`--job_port=${port}`, "--serve_http=false", "--log_level=warn"], logFile, options.timeoutMs ?? 60_000);
  return { ...svc, jobEndpoint: `127.0.0.1:${svc.port}` };
}
