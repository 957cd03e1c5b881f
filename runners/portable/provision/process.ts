/**
 * Local service processes (Prism, the Flink job server, Flink's JobManager and TaskManager): started
 * on loopback free ports, their output kept in a log file, stopped by process id.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { ProvisioningError } from "./cache";

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A started service. */
export interface Service {
  /** Its name, for messages. */
  readonly name: string;
  /** The child process. */
  readonly child: ChildProcess;
  /** Where its output goes. */
  readonly logFile: string;
  /** Stops it (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/**
 * The keeper of a service: a shell holding the read end of a pipe from this process. The pipe closes
 * when this process ends in any way (SIGKILL too), and the keeper then stops the service (SIGTERM, then
 * SIGKILL after a grace period), so no service outlives the process that started it.
 */
const KEEPER = 'cat >/dev/null; kill -TERM "$1" 2>/dev/null || exit 0; sleep 10; kill -KILL "$1" 2>/dev/null';

/** Starts a command with output to `logFile`; it is stopped when this process ends, however it ends. */
export function startService(name: string, command: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): Service {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, "a");
  const child = spawn(command, args, { stdio: ["ignore", out, out], env, cwd, detached: false });
  fs.closeSync(out);
  const keeper = child.pid === undefined ? null : spawn("sh", ["-c", KEEPER, "keeper", String(child.pid)], { stdio: ["pipe", "ignore", "ignore"] });
  keeper?.on("error", () => {});
  keeper?.stdin?.on("error", () => {});
  keeper?.unref();
  (keeper?.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => {
    exited = true;
    // The service is gone: its keeper must not signal a process id that may be reused.
    keeper?.kill("SIGKILL");
    resolve();
  }));
  return {
    name,
    child,
    logFile,
    async stop() {
      if (exited) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Waits until `host:port` accepts TCP connections, or the service exits or time runs out. */
export async function waitForPort(service: Service, port: number, timeoutMs: number, host = "127.0.0.1"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) break;
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host);
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  const tail = fs.existsSync(service.logFile) ? fs.readFileSync(service.logFile, "utf8").split("\n").slice(-20).join("\n") : "";
  throw new ProvisioningError({
    code: "BL_SERVICE_START",
    domain: "external",
    retriable: true,
    value: service.name,
    rule: service.child.exitCode !== null ? `exited with code ${service.child.exitCode} while starting:\n${tail}` : `did not listen on port ${port} within ${Math.round(timeoutMs / 1000)} s:\n${tail}`,
    fix: `see ${service.logFile}`,
  });
}

/**
 * Starts a command listening on a free loopback port (`args` made from the port), with its output in
 * `logFile` (default `<logs>/<name>-<port>.log`), and waits until it listens; stops it if it does not.
 */
export async function startOnFreePort(name: string, command: string, args: (port: number) => string[], logFile: (port: number) => string, timeoutMs: number): Promise<Service & { port: number }> {
  const port = await freePort();
  const svc = startService(name, command, args(port), logFile(port));
  try {
    await waitForPort(svc, port, timeoutMs);
  } catch (e) {
    await svc.stop();
    throw e;
  }
  return { ...svc, port };
}
