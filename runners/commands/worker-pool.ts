/**
 * `beamline worker-pool [--port=PORT] [--host=HOST]`: serves a worker pool for EXTERNAL environments
 * (see `portable/process-pool.ts`) until SIGINT or SIGTERM, then ends its workers and exits 0. Jobs
 * use it with `--environment-type=EXTERNAL --environment-config=HOST:PORT`.
 */
import { OptionError } from "../../sdk/errors";
import { formatOptionHelp, option, parseOptions, type OptionSpecs } from "../../sdk/options";

/** The command's options. */
export const WORKER_POOL_OPTIONS = {
  port: option.integer("the port to serve the worker pool on (0: any free port, printed)", { default: 0 }),
  host: option.string("the address to listen on, which the runner's workers reach", { default: "127.0.0.1" }),
  help: option.boolean("show these options", { default: false }),
} satisfies OptionSpecs;

/** Where the command writes. */
interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Runs the worker pool until `stopped` resolves (default: SIGINT or SIGTERM); resolves to the exit code. */
export async function workerPoolCommand(args: readonly string[], io: Io, stopped?: Promise<unknown>): Promise<number> {
  const { values, positional } = parseOptions(args, WORKER_POOL_OPTIONS);
  if (values.help) {
    io.out(formatOptionHelp("beamline worker-pool options", WORKER_POOL_OPTIONS));
    return 0;
  }
  if (positional.length > 0) throw new OptionError({ code: "BL_EXTRA_ARGUMENT", value: positional[0], rule: "beamline worker-pool takes only options", fix: "write them --port=PORT --host=HOST" });
  if (!Number.isInteger(values.port) || values.port < 0 || values.port > 65535) {
    throw new OptionError({ code: "BL_WORKER_POOL_PORT", value: values.port, rule: "--port is a port number from 0 to 65535", fix: "pass --port=0 for any free port" });
  }
  // gRPC and Beam's protos load only for this command.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ProcessWorkerPool } = require("../portable/process-pool") as typeof import("../portable/process-pool");
  const { beamProtos } = require("../portable/model/protos") as typeof import("../portable/model/protos");
  /* eslint-enable @typescript-eslint/no-require-imports */
  const pool = new ProcessWorkerPool(beamProtos(), (e) =>
    io.err(e.event === "started" ? `beamline: worker ${e.workerId} started` : `beamline: worker ${e.workerId} exited (${e.code === null ? "killed" : `code ${e.code}`})`),
  );
  const address = await pool.start(values.host, values.port);
  io.err(`beamline: worker pool at ${address}; run jobs with --environment-type=EXTERNAL --environment-config=${address}; Ctrl-C stops it`);
  await (stopped ??
    new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    }));
  const left = pool.running().length;
  await pool.stop();
  io.err(`beamline: worker pool stopped${left > 0 ? ` (${left} worker${left === 1 ? "" : "s"} ended)` : ""}`);
  return 0;
}
