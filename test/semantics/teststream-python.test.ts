/**
 * Python Beam's test_stream_test.py (sdks/python/apache_beam/testing/test_stream_test.py), class
 * TestStreamTest, with Beam's expected values, on the direct runner. The pipelines with their
 * assertions are in ./scenarios/teststream-python.ts (the portable integration suite runs the same
 * ones on Prism). The group-by-key scenarios of the same file are in test/streaming/gbk.test.ts.
 */
import { MAX_TIMESTAMP, runPipeline, testStream, timestamped } from "beamline";
import { TESTSTREAM_PYTHON } from "./scenarios/teststream-python";

// TestStreamTest.test_basic_test_stream and test_test_stream_errors: the script, and its errors.
test("the script: bare elements take the current watermark; watermarks never move back; processing time moves forward", () => {
  const stream = testStream<string>().advanceWatermarkTo(0).addElements("a", timestamped("b", 3), timestamped("c", 6)).advanceProcessingTime(10).advanceWatermarkTo(8).addElements("d").advanceWatermarkToInfinity();
  expect(stream.script.map((e) => (e.kind === "elements" ? e.elements : e.kind === "watermark" ? `wm ${e.to}` : `pt +${e.advanceBy}`))).toEqual([
    "wm 0",
    [{ value: "a", timestamp: 0 }, { value: "b", timestamp: 3 }, { value: "c", timestamp: 6 }],
    "pt +10",
    "wm 8",
    [{ value: "d", timestamp: 8 }],
    `wm ${MAX_TIMESTAMP}`,
  ]);
  expect(() => testStream<string>().advanceWatermarkTo(5).advanceWatermarkTo(4)).toThrow(expect.objectContaining({ code: "BL_TEST_STREAM_WATERMARK_BACKWARDS" }));
  expect(() => testStream<string>().advanceProcessingTime(-1)).toThrow(expect.objectContaining({ code: "BL_TEST_STREAM_PROCESSING_TIME" }));
});

for (const s of TESTSTREAM_PYTHON) {
  test(`${s.name} (${s.beam})`, async () => {
    await runPipeline(s.build());
  });
}
