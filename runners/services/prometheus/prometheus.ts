/**
 * Prometheus for tests and development: Debian's `prometheus` package (server and promtool), installed
 * with apt-get when missing (without letting it start its system service), started on a loopback free
 * port with its data in a fresh temporary directory, scraping the targets it is given, and removed when
 * stopped. `promtool` checks metrics text and rule files.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cacheDir, hasCommand, ProvisioningError } from "../../portable/provision/cache";
import { freePort, Service, startService } from "../../portable/provision/process";

/** How long an apt-get step may take before provisioning gives up (ms). */
const APT_TIMEOUT_MS = 10 * 60_000;

/** A provisioning step that failed, with the end of its output. */
function aptFailure(what: string, r: ReturnType<typeof spawnSync>): ProvisioningError {
  const out = `${r.stderr ?? ""}${r.stdout ?? ""}${r.error ? String(r.error) : ""}`.trim().split("\n").slice(-15).join("\n");
  return new ProvisioningError({
    code: "BL_PROVISIONING_FAILED",
    domain: "external",
    retriable: true,
    value: what,
    rule: `${what} failed: ${out}`,
    fix: "install Prometheus yourself (Debian: apt-get install prometheus) so that prometheus and promtool are on the PATH",
  });
}

/**
 * Makes sure `prometheus` and `promtool` are on the PATH: installs Debian's package with apt-get when
 * they are not (as root, bounded in time, with services kept from starting). Returns the server's path.
 */
export function ensurePrometheus(): string {
  if (hasCommand("prometheus") && hasCommand("promtool")) return "prometheus";
  if (!hasCommand("apt-get") || process.getuid?.() !== 0) {
    throw new ProvisioningError({
      code: "BL_TOOL_MISSING",
      domain: "external",
      value: "prometheus",
      rule: "Prometheus (prometheus and promtool) is not on the PATH, and apt-get cannot install it here (it needs Debian or Ubuntu, as root)",
      fix: "install Prometheus 2.x so that prometheus and promtool are on the PATH",
    });
  }
  // policy-rc.d answering 101 keeps the package from starting its service on the fixed port 9090.
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const apt = (args: string[]) => spawnSync("apt-get", args, { encoding: "utf8", env, timeout: APT_TIMEOUT_MS, maxBuffer: 64 << 20 });
    let r = apt(["install", "-y", "--no-install-recommends", "prometheus"]);
    if (r.status !== 0) {
      const update = apt(["update"]);
      if (update.status !== 0) throw aptFailure("apt-get update", update);
      r = apt(["install", "-y", "--no-install-recommends", "prometheus"]);
    }
    if (r.status !== 0) throw aptFailure("apt-get install prometheus", r);
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
  return "prometheus";
}

/** One instant-vector sample of a query's answer. */
export interface PromSample {
  readonly metric: Record<string, string>;
  /** The value at the query's time. */
  readonly value: number;
}

/** A running Prometheus server. */
export interface PrometheusServer {
  /** Its base URL, `http://127.0.0.1:port`. */
  readonly url: string;
  /** The server's log. */
  readonly logFile: string;
  /** The server process. */
  readonly service: Service;
  /** The temporary directory of its settings and data, removed by `stop`. */
  readonly dir: string;
  /** Evaluates a PromQL expression now (an instant query); rejects with Prometheus's error. */
  query(expr: string): Promise<PromSample[]>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

/** What to start Prometheus with. */
export interface PrometheusOptions {
  /** The `host:port` targets it scrapes at `/metrics`. */
  readonly targets: readonly string[];
  /** Scrape (and rule evaluation) interval (ms). Default 1000. */
  readonly scrapeIntervalMs?: number;
  /** Rule files it loads. */
  readonly ruleFiles?: readonly string[];
  /** How long to wait for it to be ready (ms). Default 30000. */
  readonly timeoutMs?: number;
}

/** The prometheus.yml of a server scraping `targets` as job `beamline`. */
function prometheusConfig(targets: readonly string[], intervalMs: number, ruleFiles: readonly string[]): string {
  const interval = `${Math.max(1, Math.round(intervalMs / 1000))}s`;
  return [
    "global:",
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    ...(ruleFiles.length > 0 ? ["rule_files:", ...ruleFiles.map((f) => `  - ${JSON.stringify(f)}`)] : []),
    "scrape_configs:",
    "  - job_name: beamline",
    `    scrape_timeout: ${interval}`,
    "    static_configs:",
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
    "",
  ].join("\n");
}

/** Starts Prometheus on a loopback free port, scraping `options.targets`; resolves once it is ready. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const bin = ensurePrometheus();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beamline-prometheus-"));
  const config = path.join(dir, "prometheus.yml");
  fs.writeFileSync(config, prometheusConfig(options.targets, options.scrapeIntervalMs ?? 1000, options.ruleFiles ?? []));
  const logFile = path.join(cacheDir("logs"), `prometheus-${port}.log`);
  const service = startService("prometheus", bin, [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, `--storage.tsdb.path=${path.join(dir, "data")}`, "--web.enable-lifecycle"], logFile);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await service.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitUntilReady(service, url, options.timeoutMs ?? 30_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, logFile, service, dir, stop, query: (expr) => instantQuery(url, expr) };
}

/** Waits until `url/-/ready` answers 200, or the server exits or time runs out. */
async function waitUntilReady(service: Service, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && service.child.exitCode === null) {
    const ok = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  const tail = fs.existsSync(service.logFile) ? fs.readFileSync(service.logFile, "utf8").split("\n").slice(-20).join("\n") : "";
  throw new ProvisioningError({
    code: "BL_SERVICE_START",
    domain: "external",
    retriable: true,
    value: "prometheus",
    rule: service.child.exitCode !== null ? `exited with code ${service.child.exitCode} while starting:\n${tail}` : `was not ready within ${Math.round(timeoutMs / 1000)} s:\n${tail}`,
    fix: `see ${service.logFile}`,
  });
}

/** Runs an instant query against Prometheus's HTTP API. */
async function instantQuery(url: string, expr: string): Promise<PromSample[]> {
  const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(10_000) });
  const body = (await r.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
  if (body.status !== "success") throw new Error(`Prometheus query ${expr} failed: ${body.error ?? r.status}`);
  if (body.data?.resultType !== "vector") throw new Error(`Prometheus query ${expr} gave a ${body.data?.resultType}, not a vector`);
  return body.data.result.map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
}

/** What promtool said: its exit status and output. */
export interface PromtoolResult {
  readonly status: number | null;
  readonly output: string;
}

/** Runs `promtool args…` with `input` on its standard input (bounded to a minute). */
export function promtool(args: readonly string[], input?: string): PromtoolResult {
  ensurePrometheus();
  const r = spawnSync("promtool", [...args], { input, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}` };
}
