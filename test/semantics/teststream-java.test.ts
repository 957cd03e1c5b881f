/**
 * Beam Java's TestStreamTest (sdks/java/core/src/test/java/org/apache/beam/sdk/testing/TestStreamTest.java),
 * test by test, with Beam's expected values, on the direct runner. The pipelines with their assertions
 * are in ./scenarios/teststream-java.ts (the portable integration suite runs the same ones on Prism).
 * `testTestStreamCoder` is not re-expressed: it checks Java's coder for TestStream objects, which
 * Beamline does not have (the portable translation's own tests cover the payload).
 */
import { MAX_TIMESTAMP, runPipeline, testStream, timestamped } from "beamline";
import { TESTSTREAM_JAVA } from "./scenarios/teststream-java";

for (const s of TESTSTREAM_JAVA) {
  test(`${s.name} (${s.beam})`, async () => {
    await runPipeline(s.build());
  });
}

// TestStreamTest.testElementAtPositiveInfinityThrows, testAdvanceWatermarkNonMonotonicThrows,
// testAdvanceWatermarkEqualToPositiveInfinityThrows
test("construction errors: an element at +infinity, a watermark moving back, a watermark advanced to +infinity by time", () => {
  // The latest timestamp before +infinity (ms above 2^53 are even as doubles: Beam's MAX - 1 is MAX - 2 here).
  const stream = testStream<number>().addElements(timestamped(-1, MAX_TIMESTAMP - 2));
  expect(() => stream.addElements(timestamped(1, MAX_TIMESTAMP))).toThrow(expect.objectContaining({ code: "BL_TEST_STREAM_TIMESTAMP" }));
  const at0 = testStream<number>().advanceWatermarkTo(0);
  expect(() => at0.advanceWatermarkTo(-1)).toThrow(expect.objectContaining({ code: "BL_TEST_STREAM_WATERMARK_BACKWARDS" }));
  const almost = testStream<number>().advanceWatermarkTo(MAX_TIMESTAMP - 2);
  expect(() => almost.advanceWatermarkTo(MAX_TIMESTAMP)).toThrow(expect.objectContaining({ code: "BL_TEST_STREAM_WATERMARK_INFINITY" }));
  expect(almost.advanceWatermarkToInfinity().script.at(-1)).toEqual({ kind: "watermark", tag: "main", to: MAX_TIMESTAMP });
});
