/**
 * A tagged TestStream whose output adds elements behind another output's watermark (but not its own)
 * is refused on Prism, which advances all the outputs under one watermark, when that output reaches
 * windows that end; the same script in the global window, or with the watermarks together, translates.
 */
import { fixedWindows, map, Pipeline, taggedTestStream, timestamped, windowInto } from "beamline";
import { readTestStreamScripts } from "../../../runners/portable/translate-teststream";
import { tagsBehindSharedWatermark } from "../../../runners/portable/teststream-watermarks";
import { refused } from "./refused";
import { describeWith } from "./requirements";

/** A stream whose `slow` output adds an element at 5 s once `fast` is at 20 s (its own watermark at 0), each output mapped, `slow` windowed when `windowed`. */
function pipeline(windowed: boolean, together = false): Pipeline {
  let stream = taggedTestStream<{ fast: string; slow: string }>(["fast", "slow"]).advanceWatermarkTo("fast", 20_000);
  if (together) stream = stream.advanceWatermarkTo("slow", 20_000);
  const p = new Pipeline();
  const { fast, slow } = p.apply("Events", stream.addElements("slow", timestamped("s", together ? 25_000 : 5_000)).addElements("fast", timestamped("f", 21_000)));
  fast.apply("Fast", map((x: string) => x.toUpperCase()));
  (windowed ? slow.apply("Windows", windowInto(fixedWindows(10_000))) : slow).apply("Slow", map((x: string) => x.toUpperCase()));
  return p;
}

describeWith(["mvn", "java"], "tagged TestStreams under one shared watermark", () => {
  test("the outputs with an element behind the furthest watermark but not their own are found", async () => {
    const p = pipeline(true);
    const scripts = await readTestStreamScripts(p.graph(), (n) => p.fn(n));
    expect([...tagsBehindSharedWatermark(scripts.Events)]).toEqual(["slow"]);
    const q = pipeline(true, true);
    expect([...tagsBehindSharedWatermark((await readTestStreamScripts(q.graph(), (n) => q.fn(n))).Events)]).toEqual([]);
  });

  test("Prism refuses it when the output reaches windows that end, naming the output and the fix", async () => {
    expect(await refused(pipeline(true), "prism")).toEqual([expect.stringMatching(/^Events: tagged outputs "slow" add elements behind another output's watermark.*advance the outputs' watermarks together/)]);
  });

  test("in the global window, or with the watermarks together, it translates; Flink refuses tagged outputs whatever their watermarks", async () => {
    expect(await refused(pipeline(false), "prism")).toBeNull();
    expect(await refused(pipeline(true, true), "prism")).toBeNull();
    expect(await refused(pipeline(true), "flink")).toEqual([expect.stringContaining("Events: TestStream with 2 tagged outputs")]);
  });
});
