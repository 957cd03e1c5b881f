/**
 * TestStream elements in a fixed window cut short by the end of the global window are refused on Flink
 * (whose runner fails such a job), not on Prism; elements in whole windows translate on both.
 */
import { fixedWindows, GLOBAL_WINDOW_MAX_TIMESTAMP, groupByKey, map, Pipeline, testStream, timestamped, windowInto } from "beamline";
import { refused } from "./refused";
import { describeWith } from "./requirements";

const SIX_HOURS = 6 * 3_600_000;

function pipeline(at: number): Pipeline {
  const p = new Pipeline();
  p.apply("Events", testStream<string>().addElements(timestamped("foo", at)).advanceWatermarkToInfinity())
    .apply("Windows", windowInto(fixedWindows(SIX_HOURS)))
    .apply("Key", map((x: string) => ({ key: x, value: x })))
    .apply("Group", groupByKey<string, string>());
  return p;
}

describeWith(["mvn", "java"], "TestStream elements in windows the global window's end cuts short", () => {
  test("refused on Flink, naming the TestStream and the timestamp", async () => {
    expect(await refused(pipeline(GLOBAL_WINDOW_MAX_TIMESTAMP), "flink")).toEqual([expect.stringMatching(/^Events: TestStream elements at \d+ fall in a window the end of the global window cuts short \(Beam's Flink runner fails the job/)]);
  });

  test("Prism takes them; whole windows translate on Flink", async () => {
    expect(await refused(pipeline(GLOBAL_WINDOW_MAX_TIMESTAMP), "prism")).toBeNull();
    expect(await refused(pipeline(GLOBAL_WINDOW_MAX_TIMESTAMP - 2 * SIX_HOURS), "flink")).toBeNull();
  });
});
