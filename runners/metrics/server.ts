/**
 * The HTTP endpoint Prometheus scrapes: `GET /metrics` answers a registry's text; anything else is 404.
 * Listens on loopback unless told otherwise; port 0 picks a free port.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { OptionError } from "../../sdk/errors";

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The URL to scrape, `http://host:port/metrics`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Checks a metrics port given by a user: an integer from 0 (any free port) to 65535. */
export function checkMetricsPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new OptionError({
      code: "BL_BAD_METRICS_PORT",
      value: port,
      rule: "the metrics port must be an integer from 0 to 65535 (0: any free port)",
      fix: "pass --metrics-port=9464, say, or --metrics-port=0 to let the runner pick one (it prints the URL)",
    });
  }
}

/** Serves `registry` at `/metrics` on `host:port`. */
export async function serveMetrics(registry: Registry, port: number, host = "127.0.0.1"): Promise<MetricsServer> {
  checkMetricsPort(port);
  const server = http.createServer((req, res) => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found; metrics are at /metrics\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (e: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${e instanceof Error ? e.message : String(e)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        e.code === "EADDRINUSE" || e.code === "EACCES"
          ? new OptionError({ code: "BL_METRICS_PORT_UNAVAILABLE", value: port, rule: `the metrics port cannot be opened on ${host} (${e.code})`, fix: "pass another --metrics-port, or 0 for any free port", cause: e })
          : e,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${bound}/metrics`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
