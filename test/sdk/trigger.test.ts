/** The trigger DSL: specs as plain data, validation with value, rule and fix, and Beam-style printing. */
import { afterAll, afterCount, afterEach, afterFirst, afterProcessingTime, afterWatermark, alignedTo, defaultTrigger, never, orFinally, PipelineConstructionError, plusDelayOf, repeatedly, type TriggerSpec } from "beamline";
import { usesProcessingTime } from "../../sdk/trigger";
import { describeTrigger, firesOnce, validateTrigger } from "../../sdk/trigger";
import { DEFAULT_WINDOWING } from "../../sdk/window";

function triggerError(f: () => unknown): PipelineConstructionError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(PipelineConstructionError);
    expect((err as PipelineConstructionError).code).toBe("BL_INVALID_TRIGGER");
    return err as PipelineConstructionError;
  }
  throw new Error("expected a PipelineConstructionError");
}

describe("trigger specs", () => {
  test("are plain JSON data of a fixed shape", () => {
    const spec = afterWatermark({ early: afterProcessingTime("5m"), late: afterProcessingTime("10m") });
    expect(spec).toEqual({
      kind: "afterWatermark",
      early: { kind: "afterProcessingTime", transforms: [{ kind: "delay", ms: 300_000 }] },
      late: { kind: "afterProcessingTime", transforms: [{ kind: "delay", ms: 600_000 }] },
    });
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(structuredClone(spec)).toEqual(spec);
    expect(defaultTrigger()).toEqual({ kind: "default" });
    expect(DEFAULT_WINDOWING.trigger).toEqual(defaultTrigger());
    expect(afterWatermark()).toEqual({ kind: "afterWatermark" });
    expect("early" in afterWatermark({ late: afterCount(1) })).toBe(false);
    expect(afterCount(3)).toEqual({ kind: "afterCount", count: 3 });
    expect(afterProcessingTime()).toEqual({ kind: "afterProcessingTime", transforms: [] });
    expect(afterProcessingTime(0, alignedTo("1m", 5), plusDelayOf("10s"))).toEqual({
      kind: "afterProcessingTime",
      transforms: [{ kind: "alignTo", period: 60_000, offset: 5 }, { kind: "delay", ms: 10_000 }],
    });
    expect(orFinally(repeatedly(afterCount(2)), afterWatermark())).toEqual({
      kind: "orFinally",
      trigger: { kind: "repeatedly", trigger: { kind: "afterCount", count: 2 } },
      until: { kind: "afterWatermark" },
    });
    expect(afterEach(afterCount(1), never())).toEqual({ kind: "afterEach", triggers: [{ kind: "afterCount", count: 1 }, { kind: "never" }] });
  });

  test("print the way Beam prints triggers", () => {
    expect(describeTrigger(defaultTrigger())).toBe("DefaultTrigger");
    expect(describeTrigger(afterWatermark({ early: afterCount(1) }))).toBe(
      "AfterWatermark.pastEndOfWindow().withEarlyFirings(AfterPane.elementCountAtLeast(1))",
    );
    expect(describeTrigger(afterWatermark({ early: afterProcessingTime("5m"), late: afterProcessingTime("10m") }))).toBe(
      "AfterWatermark.pastEndOfWindow()" +
        ".withEarlyFirings(AfterProcessingTime.pastFirstElementInPane().plusDelayOf(5 minutes))" +
        ".withLateFirings(AfterProcessingTime.pastFirstElementInPane().plusDelayOf(10 minutes))",
    );
    expect(describeTrigger(afterProcessingTime(1500, alignedTo("1h")))).toBe(
      "AfterProcessingTime.pastFirstElementInPane().plusDelayOf(1500 ms).alignedTo(1 hour, 0)",
    );
    expect(describeTrigger(orFinally(repeatedly(afterCount(2)), afterWatermark()))).toBe(
      "Repeatedly.forever(AfterPane.elementCountAtLeast(2)).orFinally(AfterWatermark.pastEndOfWindow())",
    );
    expect(describeTrigger(afterEach(afterFirst(afterCount(1), never()), afterAll(afterCount(2), afterProcessingTime("1s"))))).toBe(
      "AfterEach.inOrder(AfterFirst.of(AfterPane.elementCountAtLeast(1), Never.ever()), " +
        "AfterAll.of(AfterPane.elementCountAtLeast(2), AfterProcessingTime.pastFirstElementInPane().plusDelayOf(1 second)))",
    );
  });

  test("know which fire once and which wait on processing time", () => {
    expect(firesOnce(afterCount(1))).toBe(true);
    expect(firesOnce(afterWatermark())).toBe(true);
    expect(firesOnce(afterWatermark({ early: afterCount(1) }))).toBe(false);
    expect(firesOnce(repeatedly(afterCount(1)))).toBe(false);
    expect(firesOnce(defaultTrigger())).toBe(false);
    expect(usesProcessingTime(afterWatermark({ late: afterFirst(afterCount(2), afterProcessingTime(5)) }))).toBe(true);
    expect(usesProcessingTime(repeatedly(afterCount(2)))).toBe(false);
  });
});

describe("trigger validation", () => {
  test("afterCount needs a whole count of at least one", () => {
    for (const n of [0, -1, 1.5, NaN]) {
      const err = triggerError(() => afterCount(n));
      expect(err.rule).toMatch(/at least 1/);
      expect(err.fix).toMatch(/afterCount\(1\)/);
    }
    expect(triggerError(() => afterCount(0)).message).toMatch(/^0 — afterCount needs/);
  });

  test("durations must be well formed and not negative", () => {
    expect(triggerError(() => afterProcessingTime(-5)).rule).toMatch(/must not be negative/);
    expect(triggerError(() => afterProcessingTime("soon")).message).toMatch(/"soon"/);
    expect(triggerError(() => afterProcessingTime(Infinity)).rule).toMatch(/finite/);
    expect(triggerError(() => alignedTo(0)).rule).toMatch(/positive period/);
  });

  test("early, late, until and the parts of afterFirst / afterAll must fire once, as in Beam", () => {
    const early = triggerError(() => afterWatermark({ early: repeatedly(afterCount(1)) }));
    expect(early.message).toContain("Repeatedly.forever(AfterPane.elementCountAtLeast(1))");
    expect(early.rule).toMatch(/early firings must be a trigger that fires once/);
    expect(early.fix).toMatch(/pass AfterPane.elementCountAtLeast\(1\) itself/);
    expect(triggerError(() => afterWatermark({ late: defaultTrigger() })).rule).toMatch(/late firings/);
    expect(triggerError(() => orFinally(afterCount(1), repeatedly(afterCount(2)))).rule).toMatch(/until/);
    expect(triggerError(() => afterFirst(afterCount(1), afterWatermark({ late: afterCount(1) }))).rule).toMatch(/afterFirst trigger 1/);
    expect(triggerError(() => afterAll(defaultTrigger())).rule).toMatch(/afterAll trigger 0/);
    // afterEach and repeatedly take any trigger.
    expect(() => afterEach(repeatedly(afterCount(1)), defaultTrigger())).not.toThrow();
    expect(() => repeatedly(afterWatermark({ early: afterCount(1) }))).not.toThrow();
  });

  test("lists need at least one trigger; options must be known", () => {
    expect(triggerError(() => afterFirst()).rule).toMatch(/afterFirst needs at least one trigger/);
    expect(triggerError(() => afterEach()).rule).toMatch(/afterEach needs at least one trigger/);
    expect(triggerError(() => afterWatermark({ erly: afterCount(1) } as never)).rule).toMatch(/not "erly"/);
  });

  test("validateTrigger checks specs read from outside, naming the bad part", () => {
    const good = JSON.parse(JSON.stringify(afterWatermark({ early: afterCount(1), late: afterProcessingTime("1m") })));
    expect(validateTrigger(good)).toBe(good);
    expect(triggerError(() => validateTrigger(null)).rule).toMatch(/trigger spec object/);
    expect(triggerError(() => validateTrigger({ kind: "afterCnt" })).rule).toMatch(/unknown kind "afterCnt"/);
    const nested = triggerError(() => validateTrigger({ kind: "repeatedly", trigger: { kind: "afterCount", count: 0 } }));
    expect(nested.where).toBe("trigger > repeatedly");
    expect(triggerError(() => validateTrigger({ kind: "afterProcessingTime", transforms: [{ kind: "delay", ms: -1 }] })).rule).toMatch(
      /timestamp transform/,
    );
    expect(triggerError(() => validateTrigger({ kind: "afterAll", triggers: "x" })).rule).toMatch(/list of triggers/);
    const bad: TriggerSpec = { kind: "orFinally", trigger: afterCount(1), until: defaultTrigger() };
    expect(triggerError(() => validateTrigger(bad)).rule).toMatch(/until must be a trigger that fires once/);
  });
});
