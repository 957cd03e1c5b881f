/**
 * Beam Java's own Nexmark launcher (org.apache.beam.sdk.nexmark.Main) on Beam's direct runner, as a peer
 * of the Nexmark benchmark. Its jars come from Maven Central through `mvn dependency:copy-dependencies`
 * into ~/.cache/beamline/nexmark-java/lib on first use; when they cannot be had, every Java line of the
 * run is a "skipped" line with the reason.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The Beam release whose Nexmark launcher is used (the one Beamline's Flink job server uses). */
export const BEAM_JAVA_VERSION = "2.62.0";
const DIR = path.join(os.homedir(), ".cache", "beamline", "nexmark-java");
const LIB = path.join(DIR, "lib");

const POM = `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>beamline.bench</groupId><artifactId>nexmark-java</artifactId><version>1</version>
<dependencies>
<dependency><groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-testing-nexmark</artifactId><version>${BEAM_JAVA_VERSION}</version></dependency>
<dependency><groupId>org.apache.beam</groupId><artifactId>beam-runners-direct-java</artifactId><version>${BEAM_JAVA_VERSION}</version></dependency>
</dependencies></project>
`;

let installed: { ok: true } | { ok: false; reason: string } | null = null;

/** Copies the launcher's jars into the cache on first use; the reason when that fails. */
export function ensureBeamJava(): { ok: true } | { ok: false; reason: string } {
  if (installed) return installed;
  const jar = () => fs.existsSync(LIB) && fs.readdirSync(LIB).some((f) => f.startsWith("beam-sdks-java-testing-nexmark-"));
  if (!jar()) {
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(path.join(DIR, "pom.xml"), POM);
    process.stderr.write(`bench: resolving org.apache.beam:beam-sdks-java-testing-nexmark:${BEAM_JAVA_VERSION} into ${LIB} (first use)\n`);
    const r = spawnSync("mvn", ["-q", "-B", "dependency:copy-dependencies", `-DoutputDirectory=${LIB}`], { cwd: DIR, encoding: "utf8", timeout: 600_000 });
    if (r.error || r.status !== 0) {
      const text = `${r.stdout ?? ""}${r.stderr ?? ""}`.replace(/\x1b\[[0-9;]*m/g, "");
      const why = text.match(/Could not find artifact \S+|\S+ was not found in \S+/)?.[0] ?? r.error?.message ?? `mvn exit code ${r.status}`;
      installed = { ok: false, reason: `Beam Java's Nexmark launcher could not be resolved from Maven Central (${why})` };
      return installed;
    }
  }
  installed = jar() ? { ok: true } : { ok: false, reason: `no beam-sdks-java-testing-nexmark jar in ${LIB} after mvn dependency:copy-dependencies` };
  return installed;
}

/**
 * Runs one query by Beam's launcher on the direct runner in batch mode, timing the whole JVM process
 * (so its start-up counts against it); the reason when it fails.
 */
export function runBeamJava(query: string, events: number, timeoutSeconds: number): { seconds: number; cpuSeconds: number } | { failure: string } {
  const args = [
    "-cp", `${LIB}/*`, "org.apache.beam.sdk.nexmark.Main",
    "--runner=DirectRunner", "--streaming=false", `--query=${query}`, `--numEvents=${events}`,
    "--manageResources=false", "--monitorJobs=true", "--enforceEncodability=false", "--enforceImmutability=false", "--targetParallelism=1",
  ];
  const started = process.hrtime.bigint();
  // bash's `times` prints the CPU time (user and system) of the JVM, all its threads, once it exits.
  const script = `java ${args.map((a) => `'${a}'`).join(" ")} >&2 || exit $?; times`;
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: timeoutSeconds * 1000, maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.error || r.status !== 0) return { failure: `java exited with ${r.error?.message ?? `code ${r.status}`}: ${(r.stderr ?? "").split("\n").filter(Boolean).slice(-2).join(" | ")}` };
  const children = (r.stdout.trim().split("\n")[1] ?? "").match(/(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/);
  const cpuSeconds = children ? Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4]) : NaN;
  return { seconds, cpuSeconds };
}
