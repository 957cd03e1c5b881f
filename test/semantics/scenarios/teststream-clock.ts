/**
 * Several TestStreams in one pipeline share one simulated processing-time clock; a tagged
 * TestStream's outputs each have their own watermark. Beam's own tests of these are
 * TestStreamTest.testMultipleStreams (./teststream-java.ts) and Python's
 * test_multiple_outputs_with_watermark_advancement (./teststream-python.ts); these pin down what
 * those leave open, as pipelines with their assertions.
 */
import { afterProcessingTime, afterWatermark, assertThat, combineGlobally, fixedWindows, globalWindows, Pipeline, sum, taggedTestStream, testStream, timestamped, windowInto, type PCollection } from "beamline";
import type { SemanticsScenario } from "./scenario";

const MINUTE = 60_000;

function earlySums(pc: PCollection<number>, label: string): PCollection<number> {
  return pc
    .apply(`${label}Window`, windowInto(globalWindows(), { trigger: afterWatermark({ early: afterProcessingTime("5m") }), accumulation: "accumulating" }))
    .apply(`${label}Sum`, combineGlobally<number, number>(sum()));
}

function sharedClock(): Pipeline {
  // A waits for 10 min after its first element; B for 3 min, adds an element, then waits for 13 min.
  // The clock goes 0 → 3 min (B's second element) → 10 min, where both early panes due at 5 min fire:
  // B's holds both of B's elements. (Were each stream's advances added to one clock in turn, the
  // clock would pass 5 min before B's second element and B's first early pane would hold 10 alone.)
  const a = testStream<number>().addElements(timestamped(1, 0)).advanceProcessingTime("10m").addElements(timestamped(2, 0)).advanceWatermarkToInfinity();
  const b = testStream<number>().addElements(timestamped(10, 0)).advanceProcessingTime("3m").addElements(timestamped(20, 0)).advanceProcessingTime("10m").advanceWatermarkToInfinity();
  const p = new Pipeline();
  const sumsA = earlySums(p.apply("A", a), "A");
  const sumsB = earlySums(p.apply("B", b), "B");
  assertThat(sumsA).inEarlyGlobalWindowPanes().containsInAnyOrder([1]);
  assertThat(sumsA).inOnTimePane().containsInAnyOrder([3]);
  assertThat(sumsB).inEarlyGlobalWindowPanes().containsInAnyOrder([30]);
  assertThat(sumsB).inOnTimePane().containsInAnyOrder([30]);
  return p;
}

function ownWatermark(): Pipeline {
  // `fast` passes the end of window [0, 15 s) while `slow` stays at 0; an element of `fast` in that
  // window is then droppably late (no allowed lateness). Were the outputs to share the slowest
  // watermark, it would be on time.
  const stream = taggedTestStream<{ fast: number; slow: number }>(["fast", "slow"])
    .advanceWatermarkTo("slow", 0)
    .addElements("fast", timestamped(1, 1000))
    .advanceWatermarkTo("fast", 20_000)
    .addElements("fast", timestamped(2, 2000))
    .addElements("slow", timestamped(100, 1000));
  const p = new Pipeline();
  const { fast, slow } = p.apply(stream);
  const window = (pc: PCollection<number>, label: string) => pc.apply(`${label}Window`, windowInto(fixedWindows(15_000))).apply(`${label}Sum`, combineGlobally<number, number>(sum()));
  assertThat(window(fast, "Fast")).inWindow({ start: 0, end: 15_000 }).containsInAnyOrder([1]);
  assertThat(window(slow, "Slow")).inWindow({ start: 0, end: 15_000 }).containsInAnyOrder([100]);
  return p;
}

function deterministicClock(): Pipeline {
  const p = new Pipeline();
  const a = testStream<number>().addElements(timestamped(1, 0)).advanceProcessingTime("6m").addElements(timestamped(2, 0)).advanceProcessingTime("6m").advanceWatermarkToInfinity();
  const b = testStream<number>().advanceProcessingTime("4m").addElements(timestamped(5, 0)).advanceProcessingTime("4m").addElements(timestamped(7, 0)).advanceWatermarkToInfinity();
  const both = earlySums(p.apply("A", a), "A");
  const other = earlySums(p.apply("B", b), "B");
  // A: clock 0 → 4 → 6 (A's pane due at 5 fires: [1]) → 8 (B ends) → 12 (A's second pane, due at 11: [3]).
  assertThat(both).inEarlyGlobalWindowPanes().containsInAnyOrder([1, 3]);
  // B: its first element at 4, its second at 8, where it ends before its pane due at 9: on time only.
  assertThat(other).inEarlyGlobalWindowPanes().empty();
  assertThat(other).inOnTimePane().containsInAnyOrder([12]);
  return p;
}

/** The scenarios; `beam` names the Beam test each extends. */
export const TESTSTREAM_CLOCK: readonly SemanticsScenario[] = [
  { name: "two TestStreams share one clock: each script is its own timeline from 0, and the clock moves to the earliest time one waits for", beam: "TestStreamTest.testMultipleStreams, with processing time", build: sharedClock },
  { name: "a tagged output's watermark is its own: data behind it is late even while another output's watermark is far behind", beam: "test_stream_test.TestStreamTest.test_multiple_outputs_with_watermark_advancement, with late data", build: ownWatermark },
  { name: "the shared clock is deterministic: the same pipeline gives the same panes run after run", beam: "TestStreamTest.testMultipleStreams, interleaved processing time", build: deterministicClock },
];

/** The scenario whose pipeline must give the same panes run after run. */
export const DETERMINISTIC_CLOCK = TESTSTREAM_CLOCK[2];
