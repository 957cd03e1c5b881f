/**
 * The provisioning cache (default `~/.cache/beamline`, or `$BEAMLINE_CACHE`): Beam's model jars, the
 * Flink job server's and cluster's jars (through Maven) and the Prism binary (through the Go module
 * proxy) are fetched once with the ordinary clients and reused by every later run.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { BeamlineError } from "../../../sdk/errors";

/** The Beam release whose model protos and Prism Beamline uses (the Flink job server's is `FLINK_JOB_SERVER_BEAM_VERSION` in runners/flink). */
export const BEAM_VERSION = "2.70.0";

/** A required tool (java, mvn, go) or download is missing. */
export class ProvisioningError extends BeamlineError {}

/** The cache directory, created on first use. */
export function cacheDir(...sub: string[]): string {
  const dir = path.join(process.env.BEAMLINE_CACHE ?? path.join(os.homedir(), ".cache", "beamline"), ...sub);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Whether a command is on the PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Runs a provisioning command, throwing a ProvisioningError with its output when it fails. */
export function runTool(cmd: string, args: string[], what: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): void {
  if (!hasCommand(cmd)) {
    throw new ProvisioningError({
      code: "BL_TOOL_MISSING",
      domain: "external",
      value: cmd,
      rule: `${what} needs the command ${cmd}, which is not on the PATH`,
      fix: cmd === "go" ? "install Go 1.22 or newer" : "install a JDK (17 or newer) and Apache Maven",
    });
  }
  const r = spawnSync(cmd, args, { encoding: "utf8", env, cwd, maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    throw new ProvisioningError({
      code: "BL_PROVISIONING_FAILED",
      domain: "external",
      retriable: true,
      value: `${cmd} ${args.join(" ")}`,
      rule: `${what} failed: ${(r.stderr || r.stdout || String(r.error ?? "")).trim().split("\n").slice(-15).join("\n")}`,
      fix: "check that the package registry is reachable, then run again (partial downloads are retried)",
    });
  }
}

/**
 * A jar from Maven Central (`group:artifact:version`), copied into `dir` by Maven and cached.
 * Returns its path.
 */
export function mavenJar(coordinates: string, dir: string): string {
  const [, artifact, version] = coordinates.split(":");
  const file = path.join(dir, `${artifact}-${version}.jar`);
  if (fs.existsSync(file)) return file;
  runTool("mvn", ["-q", "-B", "dependency:copy", `-Dartifact=${coordinates}`, `-DoutputDirectory=${dir}`], `fetching ${coordinates}`);
  return file;
}

/**
 * Resolves Maven dependencies (with their transitive ones, less `exclude`d `group:artifact`s) into
 * `dir/lib` once, through a generated pom; returns the jar paths. `marker` records completion so an
 * interrupted copy is redone.
 */
export function mavenClasspath(dir: string, dependencies: string[], exclude: string[] = []): string[] {
  const lib = path.join(dir, "lib");
  const marker = path.join(dir, "complete");
  if (!fs.existsSync(marker)) {
    fs.mkdirSync(dir, { recursive: true });
    const exclusions = exclude
      .map((c) => {
        const [g, a] = c.split(":");
        return `<exclusion><groupId>${g}</groupId><artifactId>${a}</artifactId></exclusion>`;
      })
      .join("");
    const deps = dependencies
      .map((c) => {
        const [g, a, v] = c.split(":");
        return `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version><exclusions>${exclusions}</exclusions></dependency>`;
      })
      .join("\n");
    fs.writeFileSync(
      path.join(dir, "pom.xml"),
      `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>beamline.cache</groupId><artifactId>${path.basename(dir)}</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>${deps}</dependencies></project>\n`,
    );
    runTool("mvn", ["-q", "-B", "dependency:copy-dependencies", `-DoutputDirectory=${lib}`], `resolving ${dependencies.join(", ")}`, process.env, dir);
    fs.writeFileSync(marker, new Date().toISOString());
  }
  return fs.readdirSync(lib).filter((f) => f.endsWith(".jar")).map((f) => path.join(lib, f));
}
