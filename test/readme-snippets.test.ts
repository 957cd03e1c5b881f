/**
 * The README's runnable snippets (those that start with a `// NAME.mts` line) run as a user runs them:
 * saved as that file inside a project that depends on beamline, with `npx tsx NAME.mts`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, runSnippet, snippet } from "./readme-snippet";

describe("the README's snippets", () => {
  test("the top-level-await pipeline runs under npx tsx as a .mts file and prints its rows", () => {
    const r = runSnippet("sales.mts", snippet("sales.mts"));
    fs.rmSync(r.dir, { recursive: true, force: true });
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/shop: 'a', n: 2, total: 15, avg: 7\.5/);
  });

  test("the Files snippet has its imports and runs: ISO timestamps read, a bad row dead-lettered", () => {
    const csv = "id,name,score,at\n1,ann,2.5,2024-01-31T12:00:00Z\n2,bob,not a number,2024-01-31T12:00:01Z\n3,cy,4,1706702402000\n";
    const r = runSnippet("files.mts", snippet("files.mts"), { "in/a.csv": csv });
    try {
      expect(r.err).toBe("");
      expect(r.status).toBe(0);
      const out = fs.readdirSync(path.join(r.dir, "out"));
      expect(out.filter((f) => f.startsWith("scores-"))).toHaveLength(1);
      const rejects = out.filter((f) => f.startsWith("rejects-")).map((f) => fs.readFileSync(path.join(r.dir, "out", f), "utf8")).join("");
      expect(rejects.trim().split("\n")).toHaveLength(1);
      expect(rejects).toContain("not a number");
    } finally {
      fs.rmSync(r.dir, { recursive: true, force: true });
    }
  });

  test("the Failures and recovery snippet runs word count under ten seeded faults and finds the same output", () => {
    const data = path.join(ROOT, "examples", "data");
    const inputs = Object.fromEntries(fs.readdirSync(data).map((f) => [`in/${f}`, fs.readFileSync(path.join(data, f), "utf8")]));
    const r = runSnippet("survives-faults.mts", snippet("survives-faults.mts"), { "wordcount.ts": fs.readFileSync(path.join(ROOT, "examples", "wordcount.ts"), "utf8"), ...inputs });
    fs.rmSync(r.dir, { recursive: true, force: true });
    expect(r.err).toBe("");
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^([1-9]\d*) of 10 faults fired, and the output was the same$/m);
  }, 120_000);
});
