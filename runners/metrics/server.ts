/**
 * The run's HTTP endpoints: `GET /metrics` that Prometheus scrapes (a registry's text), and the server
 * under it that the web UI shares. Listens on loopback unless told otherwise; port 0 picks a free port.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { OptionError } from "../../sdk/errors";

/** A running metrics endpoint. */
export interface MetricsServer {
  /** Its URL: `http://host:port/metrics` for the metrics endpoint, `http://host:port` for others. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Checks a port given by a user for `flag` (`--metrics-port`, `--ui-port`): an integer from 0 (any free port) to 65535. */
export function checkPort(port: number, flag: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new OptionError({
      code: flag === "--metrics-port" ? "BL_BAD_METRICS_PORT" : "BL_BAD_PORT",
      value: port,
      rule: `${flag} must be an integer from 0 to 65535 (0: any free port)`,
      fix: `pass ${flag}=9464, say, or ${flag}=0 to let the runner pick one (it prints the URL)`,
    });
  }
}

/** Answers one request; returns false when the path is not the handler's (a 404 follows). */
export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

/** Serves `route` on `host:port` (0: a free port); `flag` names the option in errors. URL is `http://host:port`. */
export async function serveHttp(route: Route, port: number, host: string, flag: string): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || !route(req, res)) res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "EADDRINUSE" || e.code === "EACCES"
          ? new OptionError({ code: "BL_PORT_UNAVAILABLE", value: port, rule: `${flag} cannot be opened on ${host} (${e.code})`, fix: `pass another ${flag}, or 0 for any free port`, cause: e })
          : e,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The path of a request, without its query. */
export function pathOf(req: http.IncomingMessage): string {
  return (req.url ?? "").split("?")[0];
}

/** Serves `registry` at `/metrics` on `host:port`. */
export async function serveMetrics(registry: Registry, port: number, host = "127.0.0.1"): Promise<MetricsServer> {
  checkPort(port, "--metrics-port");
  const server = await serveHttp(
    (req, res) => {
      if (pathOf(req) !== "/metrics") return false;
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        (e: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${e instanceof Error ? e.message : String(e)}\n`),
      );
      return true;
    },
    port,
    host,
    "--metrics-port",
  );
  return { ...server, url: `${server.url}/metrics` };
}
