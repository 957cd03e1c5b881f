/**
 * Python Beam's test_stream_test.py (sdks/python/apache_beam/testing/test_stream_test.py), class
 * TestStreamTest, as pipelines with Beam's expected values: element timestamps, tagged outputs each
 * with its own watermark, tagged side inputs. Python's times are seconds; here they are the same
 * numbers in ms, or seconds × 1000 where windows are involved.
 */
import {
  afterCount,
  afterWatermark,
  assertThat,
  fixedWindows,
  groupByKey,
  intervalWindow,
  map,
  parDo,
  Pipeline,
  sideInput,
  taggedTestStream,
  testStream,
  timestamped,
  windowInto,
  type ElementInfo,
  type PCollection,
} from "beamline";
import type { SemanticsScenario } from "./scenario";

const S = 1000;

/** Python's RecordFn: each element with its timestamp. */
function record<T>(pc: PCollection<T>, name: string): PCollection<{ element: T; timestamp: number }> {
  return pc.apply(name, map((element: T, info: ElementInfo) => ({ element, timestamp: info.timestamp })));
}

// TestStreamTest.test_basic_execution
function testBasicExecution(): Pipeline {
  const stream = testStream<string>()
    .advanceWatermarkTo(10)
    .addElements("a", "b", "c")
    .advanceWatermarkTo(20)
    .addElements("d")
    .addElements("e")
    .advanceProcessingTime(10)
    .advanceWatermarkTo(300)
    .addElements(timestamped("late", 12))
    .addElements(timestamped("last", 310))
    .advanceWatermarkToInfinity();
  const p = new Pipeline();
  const records = record(p.apply(stream), "Record");
  assertThat(records).containsInAnyOrder([
    { element: "a", timestamp: 10 },
    { element: "b", timestamp: 10 },
    { element: "c", timestamp: 10 },
    { element: "d", timestamp: 20 },
    { element: "e", timestamp: 20 },
    { element: "late", timestamp: 12 },
    { element: "last", timestamp: 310 },
  ]);
  return p;
}

// TestStreamTest.test_multiple_outputs
function testMultipleOutputs(): Pipeline {
  const stream = taggedTestStream<{ letters: string; numbers: string }>(["letters", "numbers"])
    .advanceWatermarkTo("letters", 5)
    .addElements("letters", timestamped("a", 6), timestamped("b", 7), timestamped("c", 8))
    .advanceWatermarkTo("numbers", 10)
    .addElements("numbers", timestamped("1", 11), timestamped("2", 12), timestamped("3", 13));
  const p = new Pipeline();
  const main = p.apply(stream);
  const letters = record(main.letters, "record letters");
  const numbers = record(main.numbers, "record numbers");
  assertThat(letters, "assert letters").containsInAnyOrder([
    { element: "a", timestamp: 6 },
    { element: "b", timestamp: 7 },
    { element: "c", timestamp: 8 },
  ]);
  assertThat(numbers, "assert numbers").containsInAnyOrder([
    { element: "1", timestamp: 11 },
    { element: "2", timestamp: 12 },
    { element: "3", timestamp: 13 },
  ]);
  return p;
}

// TestStreamTest.test_multiple_outputs_with_watermark_advancement
function testMultipleOutputsWithWatermarkAdvancement(): Pipeline {
  // The numbers' watermark goes to 20 before the letters' goes to 5: if the watermarks did not
  // advance apart, both outputs' elements would fall in one window.
  const stream = taggedTestStream<{ letters: string; numbers: string }>(["letters", "numbers"])
    .advanceWatermarkTo("letters", 0)
    .advanceWatermarkTo("numbers", 0)
    .advanceWatermarkTo("numbers", 20 * S)
    .advanceWatermarkTo("letters", 5 * S)
    .addElements("letters", "a", "b", "c")
    .advanceWatermarkTo("letters", 10 * S)
    .addElements("numbers", "1", "2", "3")
    .advanceWatermarkTo("numbers", 30 * S);
  const p = new Pipeline();
  const main = p.apply(stream);
  const grouped = (pc: PCollection<string>, label: string) =>
    pc
      .apply(`${label} windows`, windowInto(fixedWindows(15 * S), { trigger: afterWatermark({ early: afterCount(1) }), accumulation: "discarding" }))
      .apply(`${label} with key`, map((x: string) => ({ key: "k", value: x })))
      .apply(`${label} gbk`, groupByKey<string, string>())
      .apply(`${label} sorted`, map((g: { key: string; values: string[] }) => ({ key: g.key, values: [...g.values].sort() })));
  const letters = grouped(main.letters, "letter");
  const numbers = grouped(main.numbers, "number");
  // The letters came with their watermark at 5 s: window [0, 15 s); an early pane with the data, then
  // the empty on-time pane (discarding). The numbers came at 20 s: window [15 s, 30 s).
  assertThat(letters, "letters assert per window").inWindow(intervalWindow(0, 15 * S)).containsInAnyOrder([
    { key: "k", values: ["a", "b", "c"] },
    { key: "k", values: [] },
  ]);
  assertThat(letters, "no other letter windows").satisfies((_rows, elements) => elements.every((e) => e.window.start === 0 && e.window.end === 15 * S));
  assertThat(numbers, "numbers assert per window").inWindow(intervalWindow(15 * S, 30 * S)).containsInAnyOrder([
    { key: "k", values: ["1", "2", "3"] },
    { key: "k", values: [] },
  ]);
  assertThat(numbers, "no other number windows").satisfies((_rows, elements) => elements.every((e) => e.window.start === 15 * S));
  return p;
}

// TestStreamTest.test_basic_execution_sideinputs
function testBasicExecutionSideinputs(): Pipeline {
  const stream = taggedTestStream<{ main: string; side: number }>(["main", "side"])
    .advanceWatermarkTo("side", 0)
    .advanceWatermarkTo("main", 10)
    .addElements("main", "e")
    .addElements("side", timestamped(2, 2))
    .addElements("side", timestamped(1, 1))
    .addElements("side", timestamped(7, 7))
    .addElements("side", timestamped(4, 4));
  const p = new Pipeline();
  const { main, side } = p.apply(stream);
  const records = main.apply(
    parDo({ process: (elm: string, ctx) => ctx.output({ elm, ts: ctx.timestamp, side: ctx.sideInput("side") as number[] }) }, { sideInputs: { side: sideInput.iterable(side) } }),
  );
  // Python's expected list is [2, 1, 7, 4]: the side input's order is not part of the model.
  assertThat(records as PCollection<{ elm: string; ts: number; side: number[] }>).satisfies((rows) => {
    expect(rows.map((r) => ({ ...r, side: [...r.side].sort((x, y) => x - y) }))).toEqual([{ elm: "e", ts: 10, side: [1, 2, 4, 7] }]);
  });
  return p;
}

// TestStreamTest.test_basic_execution_sideinputs_fixed_windows
function testBasicExecutionSideinputsFixedWindows(): Pipeline {
  const stream = taggedTestStream<{ main: string; side: string }>(["main", "side"])
    .advanceWatermarkTo("side", 12 * S)
    .addElements("side", timestamped("s1", 10 * S))
    .advanceWatermarkTo("side", 20 * S)
    .addElements("side", timestamped("s2", 20 * S))
    .advanceWatermarkTo("main", 9 * S)
    .addElements("main", "a1", "a2", "a3", "a4")
    .addElements("main", "b")
    .advanceWatermarkTo("main", 18 * S)
    .addElements("main", "c");
  const p = new Pipeline();
  const streams = p.apply(stream);
  const main = streams.main.apply("main windowInto", windowInto(fixedWindows(1 * S)));
  const side = streams.side.apply("side windowInto", windowInto(fixedWindows(3 * S)));
  const records = main.apply(parDo({ process: (elm: string, ctx) => ctx.output({ elm, ts: ctx.timestamp, side: ctx.sideInput("side") as string[] }) }, { sideInputs: { side: sideInput.iterable(side) } }));
  assertThat(records, "window 9").inWindow(intervalWindow(9 * S, 10 * S)).containsInAnyOrder(["a1", "a2", "a3", "a4", "b"].map((elm) => ({ elm, ts: 9 * S, side: ["s1"] })));
  assertThat(records, "window 18").inWindow(intervalWindow(18 * S, 19 * S)).containsInAnyOrder([{ elm: "c", ts: 18 * S, side: ["s2"] }]);
  return p;
}

/** The scenarios, one per Python test that runs a pipeline. */
export const TESTSTREAM_PYTHON: readonly SemanticsScenario[] = [
  { name: "basic execution: each element with its timestamp, late ones included", beam: "test_stream_test.TestStreamTest.test_basic_execution", build: testBasicExecution },
  { name: "multiple outputs: one TestStream emitting to two PCollections by tag", beam: "test_stream_test.TestStreamTest.test_multiple_outputs", build: testMultipleOutputs },
  { name: "multiple outputs with watermark advancement: each output's watermark advances on its own", beam: "test_stream_test.TestStreamTest.test_multiple_outputs_with_watermark_advancement", build: testMultipleOutputsWithWatermarkAdvancement },
  { name: "side inputs from a tagged output: the main element waits for the side output's data", beam: "test_stream_test.TestStreamTest.test_basic_execution_sideinputs", build: testBasicExecutionSideinputs },
  { name: "side inputs in fixed windows from a tagged output: each main window sees its side window", beam: "test_stream_test.TestStreamTest.test_basic_execution_sideinputs_fixed_windows", build: testBasicExecutionSideinputsFixedWindows },
];
