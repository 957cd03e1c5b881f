/** The seeded fault plan: the same seed gives the same faults, each kind appears, and the environment reads them back. */
import { FAULT_KINDS, faultPlan, faultSpec } from "../../../../runners/direct/faults/plan";
import { TRANSIENT_RETRIES } from "../../../../runners/direct/faults/plan";
import { describeFault, parseFaults } from "../../../../runners/direct/faults/fault-points";
import { BeamlineError } from "beamline";
import { thrownBy } from "../../../helpers";

describe("faultPlan", () => {
  test("the same seed gives the same plan, another seed another", () => {
    expect(faultPlan(42, 20)).toEqual(faultPlan(42, 20));
    expect(faultSpec(faultPlan(42, 20))).not.toEqual(faultSpec(faultPlan(43, 20)));
    // A longer plan of the same seed begins with the shorter one.
    expect(faultPlan(42, 30).slice(0, 20)).toEqual(faultPlan(42, 20));
  });

  test("every kind appears in a plan of seven faults, the kinds in a seeded order", () => {
    for (const seed of [0, 1, 2, 99]) expect(new Set(faultPlan(seed, 7).map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    const orders = new Set([0, 1, 2, 3, 4].map((seed) => faultPlan(seed, 7).map((f) => f.kind).join()));
    expect(orders.size).toBeGreaterThan(1);
  });

  test("the transient failures at a point stay within what a read or commit retries in a row, however long the plan", () => {
    const plan = faultPlan(3, 200);
    expect(plan).toHaveLength(200);
    for (const point of ["source-read", "sink-commit"]) {
      const failures = plan.filter((f) => f.point === point && f.action === "transient").reduce((n, f) => n + f.times, 0);
      expect(failures).toBeGreaterThan(0);
      expect(failures).toBeLessThanOrEqual(TRANSIENT_RETRIES);
    }
  });

  test("the plan goes through BEAMLINE_FAULT unchanged", () => {
    const plan = faultPlan(7, 14);
    expect(parseFaults(faultSpec(plan))).toEqual(plan.map(({ kind: _kind, ...armed }) => armed));
    expect(faultSpec(plan)).toMatch(/^1@[a-z-]+:\d+/);
  });
});

describe("BEAMLINE_FAULT", () => {
  test("reads the short forms the recovery tests use", () => {
    expect(parseFaults("sink-commit:3")).toEqual([{ id: 0, point: "sink-commit", at: 3, times: 1, action: "die", delayMs: 0 }]);
    expect(parseFaults("checkpoint-write:2+")).toEqual([{ id: 0, point: "checkpoint-write", at: 2, times: Infinity, action: "enospc", delayMs: 0 }]);
    expect(parseFaults("4@part-read:1/delay:150,source-read:2x3/transient").map(describeFault)).toEqual([
      "part-read is delayed 150 ms at part-read #1",
      "source-read fails (a transient error, retried) 3 times from source-read #2",
    ]);
  });

  test("refuses a fault it cannot read, naming it and the form", () => {
    for (const bad of ["sink-commit", "nowhere:1", "batch:0", "batch:1/explode", "part-read:1/delay"]) {
      const e = thrownBy(() => parseFaults(bad)) as BeamlineError;
      expect(e).toBeInstanceOf(BeamlineError);
      expect(e.code).toBe("BL_BAD_FAULT_SPEC");
      expect(e.message).toContain(JSON.stringify(bad));
      expect(e.message).toMatch(/\[ID@\]POINT:N\[\+\|xK\]\[\/ACTION\[:MS\]\]/);
    }
  });
});
