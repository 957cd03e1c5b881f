/** The first-visits example through the `beamline` command, on each state backend: every user counted once. */
import * as fs from "node:fs";
import * as path from "node:path";
import { main } from "../../runners/cli";
import { tempDir } from "../helpers";

test.each(["memory", "disk"])("with --state-backend=%s, each of the users is counted once however often they visit", async (backend) => {
  const dir = tempDir();
  const output = path.join(dir, "fv");
  const args = ["run", "examples/first-visits.ts", "--visits=30000", "--users=7000", `--output=${output}`, `--state-backend=${backend}`, "--parallelism=2"];
  let err = "";
  const code = await main(args, { out: () => {}, err: (t) => (err += `${t}\n`) });
  expect(err).toMatch(/done on the direct runner/);
  expect(code).toBe(0);
  const lines = fs.readdirSync(dir).flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").split("\n")).filter((l) => l !== "");
  expect(lines).toEqual(["7000 users"]);
}, 60_000);
