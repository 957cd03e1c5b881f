/**
 * A service's JVM does not outlive the process that started it: the Flink job server started by a
 * process that is then killed with SIGKILL (no exit handler runs) is stopped within seconds.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { describeWith } from "../runners/portable/requirements";

/** Whether a process with id `pid` exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describeWith(["mvn", "java"], "services started by a process killed with SIGKILL", () => {
  test("the Flink job server's JVM stops within 20 s of its starter's death", async () => {
    const starter = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "fixtures/start-job-server.ts")], { stdio: ["ignore", "pipe", "inherit"] });
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the job server did not start within 180 s")), 180_000);
      starter.stdout!.on("data", (d: Buffer) => {
        const n = Number.parseInt(d.toString(), 10);
        if (Number.isInteger(n)) {
          clearTimeout(timer);
          resolve(n);
        }
      });
      starter.once("exit", (code) => reject(new Error(`the starter exited with ${code} before the job server started`)));
    });
    expect(alive(pid)).toBe(true);
    starter.kill("SIGKILL");
    const deadline = Date.now() + 20_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const survived = alive(pid);
    if (survived) process.kill(pid, "SIGKILL");
    expect(survived).toBe(false);
  }, 240_000);
});
