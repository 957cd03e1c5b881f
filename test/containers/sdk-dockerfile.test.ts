/**
 * Beamline's SDK container (containers/sdk/Dockerfile): its entrypoint is the boot script a PROCESS
 * environment runs by default, and that command, started with Beam's container contract as Dataflow's
 * worker starts it, goes to the provision endpoint it was given. (No Docker engine is needed: the
 * Dockerfile is read, and its entrypoint command is run from the checkout.)
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";
import * as path from "node:path";
import { BOOT_SCRIPT } from "../../runners/portable/boot-command";
import { parseBootArgs } from "../../runners/portable/boot-args";
import { beamProtos } from "../../runners/portable/model/protos";

const ROOT = path.resolve(__dirname, "../..");
const DOCKERFILE = fs.readFileSync(path.join(ROOT, "containers/sdk/Dockerfile"), "utf8");

/** The instructions of the Dockerfile's last stage, as [instruction, rest] pairs. */
function finalStage(): [string, string][] {
  const lines = DOCKERFILE.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#")).map((l) => /^(\w+)\s+(.*)$/.exec(l.trim())!).map((m) => [m[1].toUpperCase(), m[2]] as [string, string]);
  const from = lines.map(([i]) => i).lastIndexOf("FROM");
  return lines.slice(from);
}

/** The entrypoint's arguments, with /opt/beamline (where the image keeps the checkout) mapped to this checkout. */
function entrypoint(): string[] {
  const [, value] = finalStage().find(([i]) => i === "ENTRYPOINT")!;
  return (JSON.parse(value) as string[]).map((a) => (a.startsWith("/opt/beamline/") ? path.join(ROOT, a.slice("/opt/beamline/".length)) : a));
}

describe("the SDK container", () => {
  test("runs Node 20 with the checkout at /opt/beamline, and the PROCESS environment's boot script as its entrypoint", () => {
    const stage = finalStage();
    expect(stage[0][1]).toMatch(/^node:20\b/);
    expect(stage).toContainEqual(["COPY", "--from=build /opt/beamline /opt/beamline"]);
    expect(DOCKERFILE).toMatch(/WORKDIR \/opt\/beamline\nCOPY package\.json package-lock\.json \.\/\nRUN npm ci --omit=dev\nCOPY \. \./);
    const [node, script, ...rest] = entrypoint();
    expect(node).toBe("node");
    expect(script).toBe(BOOT_SCRIPT);
    expect(rest).toEqual([]);
    expect(fs.existsSync(script)).toBe(true);
  });

  test("Beam's container contract arguments are read in both forms Go's flag package takes", () => {
    const contract = ["--id=sdk-0-0", "--logging_endpoint=localhost:12370", "--artifact_endpoint=localhost:12371", "--provision_endpoint=localhost:12372", "--control_endpoint=localhost:12373", "--semi_persist_dir=/var/opt/google"];
    const expected = { id: "sdk-0-0", logging_endpoint: "localhost:12370", artifact_endpoint: "localhost:12371", provision_endpoint: "localhost:12372", control_endpoint: "localhost:12373", semi_persist_dir: "/var/opt/google" };
    expect(parseBootArgs(contract)).toEqual(expected);
    expect(parseBootArgs(contract.flatMap((a) => a.split("=")))).toEqual(expected);
    expect(parseBootArgs(["-id", "sdk-0-0", "--flag", "--control_endpoint", "localhost:1"])).toEqual({ id: "sdk-0-0", control_endpoint: "localhost:1" });
  });

  test("the entrypoint command, started with the contract's arguments, asks the provision endpoint it was given, as the worker it was named", async () => {
    const protos = beamProtos();
    const asked: string[] = [];
    const server = new grpc.Server();
    server.addService(protos.service("fn.ProvisionService"), {
      GetProvisionInfo: (call: grpc.ServerUnaryCall<unknown, unknown>, reply: grpc.sendUnaryData<unknown>) => {
        asked.push(String(call.metadata.get("worker_id")[0]));
        reply({ code: grpc.status.FAILED_PRECONDITION, details: "this provision service only records who asks" });
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    const [command, ...args] = entrypoint();
    const child = spawn(command, [...args, "--id", "sdk-0-0", `--provision_endpoint=127.0.0.1:${port}`, "--logging_endpoint=127.0.0.1:1", "--artifact_endpoint=127.0.0.1:1", "--control_endpoint=127.0.0.1:1"], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr!.on("data", (d) => (err += d));
    try {
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), 30_000);
        child.on("exit", (c) => (clearTimeout(timer), resolve(c)));
      });
      expect(asked).toEqual(["sdk-0-0"]);
      expect(code).toBe(1);
      expect(err).toContain("this provision service only records who asks");
    } finally {
      child.kill("SIGKILL");
      server.forceShutdown();
    }
  }, 40_000);
});
