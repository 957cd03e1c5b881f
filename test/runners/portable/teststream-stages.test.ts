/**
 * TestStream data that meets itself after different numbers of GroupByKeys, at a stateful DoFn, is
 * refused on Flink (which does not let the stages settle between the stream's events), naming the
 * Flatten and the DoFn; the same data meeting at a stateless step, or paths of equal stages, translate,
 * and Prism takes it all.
 */
import { fixedWindows, flatten, globalWindows, groupByKey, map, parDo, Pipeline, state, testStream, timestamped, windowInto, type PCollection } from "beamline";
import { refused } from "./refused";
import { describeWith } from "./requirements";

/** Raw words and their grouped keys (upper-cased) flattened, then keyed for `consume`. */
function pipeline(grouped: boolean, stateful: boolean): Pipeline {
  const p = new Pipeline();
  const input = p.apply("Words", testStream<string>().addElements("before").advanceWatermarkTo(0).addElements(timestamped("after", 10_000)).advanceWatermarkToInfinity());
  let other: PCollection<string> = input.apply("Copy", map((s: string) => s.toUpperCase()));
  if (grouped) {
    other = input
      .apply("Windows", windowInto(fixedWindows(1000)))
      .apply("Pair", map((e: string) => ({ key: e, value: e })))
      .apply("Group", groupByKey<string, string>())
      .apply("Keys", map((g: { key: string }) => g.key.toUpperCase()))
      .apply("Rewindow", windowInto(globalWindows()));
  }
  const keyed = flatten([input, other]).apply("Key", map((e: string) => ({ key: "key", value: e })));
  if (stateful) {
    keyed.apply(
      "Concat",
      parDo({
        state: { seen: state.value<string>() },
        process(row: { key: string; value: string }, ctx) {
          ctx.state.seen.write(`${ctx.state.seen.read() ?? ""},${row.value}`);
        },
      }),
    );
  } else keyed.apply("Upper", map((r: { value: string }) => r.value.toUpperCase()));
  return p;
}

describeWith(["mvn", "java"], "TestStreams with several stages", () => {
  test("Flink refuses a stateful DoFn fed by a raw and a grouped path of one TestStream, naming both", async () => {
    expect(await refused(pipeline(true, true), "flink")).toEqual([expect.stringMatching(/^Flatten: TestStream data reaches the stateful Concat after 0 and 1 GroupByKeys \(Beam's Flink runner does not let every stage settle/)]);
  });

  test("paths of equal stages, a stateless consumer, or Prism: it translates", async () => {
    expect(await refused(pipeline(false, true), "flink")).toBeNull();
    expect(await refused(pipeline(true, false), "flink")).toBeNull();
    expect(await refused(pipeline(true, true), "prism")).toBeNull();
  });
});
