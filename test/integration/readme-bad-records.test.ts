/**
 * The README's "Bad records" snippet runs as written against a real broker: it reads the clicks the
 * feed produced, writes the clicks to files, and the records that are not clicks to the dead-letter
 * topic, each naming the topic, partition and offset it came from.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { feed } from "../../examples/kafka-feed";
import { runSnippet, snippet } from "../readme-snippet";
import { consoleConsume } from "./kafka-tools";
import { describeWithKafka } from "./services";

describeWithKafka("the README's Bad records snippet", (broker) => {
  test("clicks go to files and records that are not clicks to the dead-letter topic", async () => {
    const brokers = broker().bootstrapServers;
    await feed({ brokers, clicks: 2000, bad: 5, start: Date.now() - 2_000_000, spacingMs: 1000 });
    const r = runSnippet("bad-records.mts", snippet("bad-records.mts"), {}, { BROKERS: brokers });
    try {
      expect(r.err).toBe("");
      expect(r.status).toBe(0);
      const out = path.join(r.dir, "out");
      const clicks = fs.readdirSync(out).flatMap((f) => fs.readFileSync(path.join(out, f), "utf8").split("\n").filter((l) => l !== ""));
      expect(clicks).toHaveLength(2000);
      const dead = consoleConsume(brokers, "clicks-dead-letters").map((l) => JSON.parse(l.value) as { transform: string; element: string; topic: string; offset: number });
      expect(dead.map((d) => JSON.parse(d.element) as string).sort()).toEqual([399, 799, 1199, 1599, 1999].map((i) => `not json ${i}`).sort());
      expect(dead.every((d) => d.transform === "ReadClicks" && d.topic === "clicks" && Number.isInteger(d.offset))).toBe(true);
    } finally {
      fs.rmSync(r.dir, { recursive: true, force: true });
    }
  }, 180_000);
});
