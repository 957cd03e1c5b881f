/**
 * The disk state backend's directory (`--state-dir`): checked before a run starts (made when missing,
 * refused with BL_BAD_STATE_DIR when it cannot hold files, refused without `--state-backend=disk`),
 * and a failure to open the state files inside a running pipeline, on one thread or two, ends the run
 * at once with BL_STATE_STORE_FAILED. Paths under /proc made Node's recursive mkdir spin forever, so
 * the runs that meet them run in child processes a timer kills.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildPipeline, DirectRunner, OptionError, type DirectRunnerOptions } from "beamline";
import firstVisits from "../../../../examples/first-visits";
import { main } from "../../../../runners/cli";
import { tempDir, thrownBy } from "../../../helpers";

const ROOT = path.join(__dirname, "..", "..", "..", "..");
const CLI = path.join(ROOT, "bin", "beamline.js");
const PROC = fs.existsSync("/proc/self") ? describe : describe.skip;

/** Runs `node args…` from the repository; a child still running after `ms` is killed. */
function node(args: readonly string[], ms: number): Promise<{ code: number | null; killed: boolean; out: string; err: string }> {
  const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let killed = false;
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (err += d));
  const timer = setTimeout(() => {
    killed = true;
    p.kill("SIGKILL");
  }, ms);
  return new Promise((resolve) =>
    p.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, killed, out, err });
    }),
  );
}

/** Runs the `beamline` command in-process; its exit code and what it wrote. */
async function runCli(args: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const code = await main(args, { out: () => {}, err: (t) => (err += `${t}\n`) });
  return { code, err };
}

const visits = (output: string) => ["run", "examples/first-visits.ts", "--visits=1000", "--users=100", `--output=${output}`];

describe("--state-dir, checked before the run", () => {
  test("a missing directory is made (parents too), and the run keeps its state files there and removes them", async () => {
    const root = tempDir("beamline-state-dir-");
    const stateDir = path.join(root, "a", "b");
    const result = await new DirectRunner({ parallelism: 1, stateBackend: "disk", stateDir }).run(buildPipeline(firstVisits, { visits: 1000, users: 100, output: path.join(root, "out", "fv") }));
    expect(result.state).toBe("DONE");
    expect(fs.readFileSync(path.join(root, "out", "fv-00000-of-00001.txt"), "utf8")).toBe("100 users\n");
    expect(fs.statSync(stateDir).isDirectory()).toBe(true);
    expect(fs.readdirSync(stateDir)).toEqual([]);
  }, 60_000);

  test("an existing file, or a path under one, is refused with BL_BAD_STATE_DIR naming it, the rule and the fix", () => {
    const root = tempDir("beamline-state-dir-");
    const file = path.join(root, "file");
    fs.writeFileSync(file, "not a directory");
    for (const stateDir of [file, path.join(file, "under")]) {
      const e = thrownBy(() => new DirectRunner({ stateBackend: "disk", stateDir })) as OptionError;
      expect(e).toBeInstanceOf(OptionError);
      expect(e.code).toBe("BL_BAD_STATE_DIR");
      expect(e.value).toBe(stateDir);
      expect(e.message).toContain(JSON.stringify(stateDir));
      expect(e.rule).toMatch(/exists and is not a directory/);
      expect(e.fix).toMatch(/--state-dir=DIR/);
    }
    expect(fs.readFileSync(file, "utf8")).toBe("not a directory");
  });

  test("a state directory without the disk backend is refused (BL_STATE_DIR_WITHOUT_DISK), not ignored", () => {
    const stateDir = path.join(tempDir("beamline-state-dir-"), "never");
    for (const options of [{ stateDir }, { stateDir, stateBackend: "memory" }] as DirectRunnerOptions[]) {
      const e = thrownBy(() => new DirectRunner(options)) as OptionError;
      expect(e).toBeInstanceOf(OptionError);
      expect(e.code).toBe("BL_STATE_DIR_WITHOUT_DISK");
      expect(e.value).toBe(stateDir);
      expect(e.fix).toMatch(/--state-backend=disk/);
    }
    expect(fs.existsSync(stateDir)).toBe(false);
  });

  test("on the command line: a file as --state-dir, --state-dir without --state-backend=disk, and either given to dataflow, each fail clearly", async () => {
    const root = tempDir("beamline-state-dir-");
    const file = path.join(root, "file");
    fs.writeFileSync(file, "");
    const onFile = await runCli([...visits(path.join(root, "o")), "--state-backend=disk", `--state-dir=${file}`]);
    expect(onFile.code).toBe(1);
    expect(onFile.err).toMatch(new RegExp(`error \\[BL_BAD_STATE_DIR\\]: ${JSON.stringify(file)} — .*exists and is not a directory.*--state-dir=DIR`));
    const alone = await runCli([...visits(path.join(root, "o")), `--state-dir=${path.join(root, "s")}`]);
    expect(alone.code).toBe(1);
    expect(alone.err).toMatch(/error \[BL_STATE_DIR_WITHOUT_DISK\]: .* add --state-backend=disk/);
    const dataflow = await runCli([...visits(path.join(root, "o")), "--runner=dataflow", "--project=p", "--region=europe-west1", "--temp-location=gs://b/tmp", "--state-backend=disk", `--state-dir=${path.join(root, "s")}`]);
    expect(dataflow.code).toBe(1);
    expect(dataflow.err).toMatch(/error \[BL_UNSUPPORTED_RUN_OPTION\]: the dataflow runner: .*--state-backend \(it is the direct runner's.*--state-dir \(it is the direct runner's/);
    for (const r of [onFile, alone, dataflow]) expect(r.err).not.toMatch(/internal error|\n\s+at /);
    expect(fs.readdirSync(root)).toEqual(["file"]);
  }, 60_000);
});

PROC("state directories under /proc (where Node's recursive mkdir never returned)", () => {
  test("makeDirectory throws ENOENT at once", async () => {
    const script = `require(${JSON.stringify(path.join(ROOT, "sdk/make-directory.ts"))}).makeDirectory("/proc/beamline-nope/state")`;
    const r = await node(["--import", "tsx", "-e", `try { ${script}; console.log("made") } catch (e) { console.log(e.code) }`], 30_000);
    expect(r.killed).toBe(false);
    expect(r.out.trim()).toBe("ENOENT");
  }, 40_000);

  test.each([1, 2])("beamline run --state-dir=/proc/… at parallelism %i fails at once with BL_BAD_STATE_DIR", async (parallelism) => {
    const out = path.join(tempDir("beamline-state-dir-"), "fv");
    const r = await node([CLI, ...visits(out), "--state-backend=disk", "--state-dir=/proc/beamline-nope", `--parallelism=${parallelism}`], 40_000);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error \[BL_BAD_STATE_DIR\]: "\/proc\/beamline-nope" — .*ENOENT.*--state-dir=DIR/);
    expect(r.err).not.toMatch(/internal error/);
  }, 50_000);

  test("beamline run --checkpoint-dir=/proc/… and --output=/proc/… fail at once, naming the path", async () => {
    const out = path.join(tempDir("beamline-state-dir-"), "fv");
    const checkpoints = await node([CLI, ...visits(out), "--checkpoint-dir=/proc/beamline-nope/cp", "--parallelism=1"], 40_000);
    expect(checkpoints.killed).toBe(false);
    expect(checkpoints.code).toBe(1);
    expect(checkpoints.err).toMatch(/BL_CHECKPOINT_DIR.*\/proc\/beamline-nope\/cp/s);
    const output = await node([CLI, ...visits("/proc/beamline-nope/fv"), "--parallelism=1"], 40_000);
    expect(output.killed).toBe(false);
    expect(output.code).toBe(1);
    expect(output.err).toMatch(/\/proc\/beamline-nope/);
    for (const r of [checkpoints, output]) expect(r.err).not.toMatch(/internal error/);
  }, 90_000);

  test.each([1, 2])("a state directory that fails inside the disk backend at parallelism %i ends the run at once with BL_STATE_STORE_FAILED", async (parallelism) => {
    const root = tempDir("beamline-state-dir-");
    const link = path.join(root, "link");
    fs.mkdirSync(path.join(root, "real"));
    fs.symlinkSync(path.join(root, "real"), link);
    const r = await node(["--import", "tsx", path.join(__dirname, "run-state-dir.ts"), link, path.join(root, "out", "fv"), String(parallelism)], 40_000);
    expect(r.killed).toBe(false);
    const [code, message] = r.out.split("\n");
    expect(code).toBe("BL_STATE_STORE_FAILED");
    expect(message).toContain(`"${link}/state"`);
    expect(message).toMatch(/could not open its files under the state directory/);
  }, 50_000);
});
