/**
 * A Pub/Sub emulator for tests, examples and development: a small Go main around
 * `cloud.google.com/go/pubsub/v2/pstest` (an in-memory Pub/Sub server), built once into the cache and
 * started on a loopback free port. Seek is answered with an error: pstest's time-based Seek crashes its
 * message loop a moment later.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { cacheDir, runTool } from "../../portable/provision/cache";
import { Service, startOnFreePort } from "../../portable/provision/process";

/** The release of Google's Go Pub/Sub module whose pstest is built. */
export const PSTEST_VERSION = "2.9.0";

/** The emulator's Go main. */
const MAIN_GO = `// A Pub/Sub emulator: pstest's in-memory server on a loopback address; Seek answers an error.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/grpc/codes"
)

func main() {
	addr := flag.String("address", "127.0.0.1:0", "the address to listen on")
	flag.Parse()
	srv := pstest.NewServerWithAddress(*addr, pstest.WithErrorInjection("Seek", codes.Unimplemented, "Seek is not supported by this emulator"))
	fmt.Printf("pstest listening on %s\\n", srv.Addr)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	srv.Close()
}
`;

/** The emulator binary in the cache, built with `go build` when missing (~80 s cold). */
export function ensurePubSubEmulator(version = PSTEST_VERSION): string {
  const dir = cacheDir(`pstest-${version}`);
  const bin = path.join(dir, "pstest");
  if (fs.existsSync(bin)) return bin;
  const src = cacheDir(`pstest-${version}`, "src");
  fs.writeFileSync(path.join(src, "main.go"), MAIN_GO);
  fs.writeFileSync(path.join(src, "go.mod"), "module beamline/pstest\n\ngo 1.24\n");
  const env = { ...process.env, GOSUMDB: "off", GOFLAGS: "-mod=mod" };
  runTool("go", ["get", `cloud.google.com/go/pubsub/v2@v${version}`], `fetching pstest ${version}`, env, src);
  runTool("go", ["build", "-o", bin, "."], `building the Pub/Sub emulator (pstest ${version})`, env, src);
  return bin;
}

/** A running Pub/Sub emulator. */
export interface PubSubEmulator extends Service {
  /** The value of `PUBSUB_EMULATOR_HOST` that points @google-cloud/pubsub at it, `127.0.0.1:port`. */
  readonly host: string;
}

/** Starts the Pub/Sub emulator on a free loopback port and waits until it listens. */
export async function startPubSubEmulator(options: { logFile?: string; timeoutMs?: number } = {}): Promise<PubSubEmulator> {
  const bin = ensurePubSubEmulator();
  const logFile = (port: number) => options.logFile ?? path.join(cacheDir("logs"), `pstest-${port}.log`);
  const svc = await startOnFreePort("pstest", bin, (port) => [`-address=127.0.0.1:${port}`], logFile, options.timeoutMs ?? 30_000);
  return { ...svc, host: `127.0.0.1:${svc.port}` };
}
