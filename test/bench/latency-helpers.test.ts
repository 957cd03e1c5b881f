/** The pure helpers of the Kafka latency case: nearest-rank percentiles, and sums read from Prometheus text. */
import { percentiles } from "../../bench/percentiles";
import { metricSum } from "../../bench/prometheus-text";

describe("percentiles", () => {
  test("take the value of rank ceil(q·n) of the sorted sample, whatever the input order", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
    expect(percentiles(values, [0.5, 0.9, 0.99, 1])).toEqual([50, 90, 99, 100]);
    expect(percentiles([7, 3, 5], [0.5, 1])).toEqual([5, 7]);
    expect(percentiles([4], [0.01, 0.5, 1])).toEqual([4, 4, 4]);
  });

  test("sort numerically, not as strings", () => {
    expect(percentiles([1000, 9, 80], [0.5])).toEqual([80]);
  });

  test("give NaN for an empty sample and refuse a quantile outside (0, 1]", () => {
    expect(percentiles([], [0.5])).toEqual([NaN]);
    expect(() => percentiles([1], [0])).toThrow(RangeError);
    expect(() => percentiles([1], [1.5])).toThrow(RangeError);
  });
});

describe("metricSum", () => {
  const text = [
    "# HELP beamline_checkpoint_alignment_seconds_total Time a source held its input.",
    "# TYPE beamline_checkpoint_alignment_seconds_total counter",
    'beamline_checkpoint_alignment_seconds_total{pipeline="beamline",transform="Read",stage="0",instance_index="0"} 0.25',
    'beamline_checkpoint_alignment_seconds_total{pipeline="beamline",transform="Read",stage="0",instance_index="1"} 0.5',
    'beamline_checkpoints_total{pipeline="beamline"} 7',
    'beamline_checkpoints_total_other{pipeline="beamline"} 100',
    "beamline_plain 3 1700000000000",
  ].join("\n");

  test("add every label set of one metric and no metric whose name merely starts with it", () => {
    expect(metricSum(text, "beamline_checkpoint_alignment_seconds_total")).toBe(0.75);
    expect(metricSum(text, "beamline_checkpoints_total")).toBe(7);
    expect(metricSum(text, "beamline_plain")).toBe(3);
  });

  test("give 0 for a metric the text does not have", () => {
    expect(metricSum(text, "beamline_missing_total")).toBe(0);
  });
});
