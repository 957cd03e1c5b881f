import { formatCheckpointReport } from "../../../../runners/direct/checkpoint/report";

describe("checkpoint report line", () => {
  test("counts, durations, sizes, the checkpoint resumed from and those restarts took up", () => {
    const line = formatCheckpointReport({ restoredFrom: 7, durationsMs: [10, 30, 20], sizesBytes: [1024, 3 * 1024 * 1024, 512], restartedFrom: [9, null] });
    expect(line).toBe("checkpoints: 3 completed, 20 ms mean, 30 ms max, 1.0 MB mean, 3.0 MB max; resumed from checkpoint 7; restarted from checkpoint 9; restarted from the start");
  });

  test("a run that completed none says so", () => {
    expect(formatCheckpointReport({ restoredFrom: null, durationsMs: [], sizesBytes: [], restartedFrom: [] })).toBe("checkpoints: 0 completed");
  });
});
