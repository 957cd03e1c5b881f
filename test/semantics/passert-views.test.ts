/**
 * Assertions at parity with Beam's PAssert (sdks/java/core/src/test/java/org/apache/beam/sdk/testing/PAssert.java
 * and PAssertTest.java), on the direct runner. Each check passes on the right expectation (the
 * pipelines in ./scenarios/passert-views.ts, which the portable integration suite runs on Prism too)
 * and fails on a wrong one (here).
 */
import { AssertionFailedError, assertThat, create, Pipeline, runPipeline, thatMap, thatSingleton } from "beamline";
import { discardingPanes, PASSERT_VIEWS, W } from "./scenarios/passert-views";

async function failures(p: Pipeline): Promise<string[]> {
  const e = await runPipeline(p).then(() => null, (x: unknown) => x);
  if (!(e instanceof AssertionFailedError)) throw new Error(`expected an AssertionFailedError, got ${String(e)}`);
  return e.failures.map((f) => f.description);
}

for (const s of PASSERT_VIEWS) {
  test(`${s.name} (${s.beam})`, async () => {
    await runPipeline(s.build());
  });
}

test("a pane narrowing fails on the wrong rows", async () => {
  const wrong = new Pipeline();
  assertThat(discardingPanes(wrong)).inCombinedNonLatePanes(W).containsInAnyOrder(["e1+e2", "on", "late"]);
  expect(await failures(wrong)).toEqual([expect.stringContaining("in the combined non-late panes of window")]);
});

// PAssertTest.testPAssertEqualsSingletonFalse
test("thatSingleton fails on more than one row and on the wrong row", async () => {
  const wrong = new Pipeline();
  thatSingleton(wrong.apply("Two", create([1, 2]))).isEqualTo(1);
  thatSingleton(wrong.apply("Other", create([5]))).isEqualTo(6);
  expect(await failures(wrong)).toEqual([expect.stringContaining("thatSingleton: isEqualTo(1)"), expect.stringContaining("thatSingleton: isEqualTo(6)")]);
});

test("thatMap fails on a repeated key and on the wrong value", async () => {
  const wrong = new Pipeline();
  thatMap(wrong.apply(create([{ key: "a", value: 1 }, { key: "a", value: 2 }]))).isEqualTo({ a: 1 });
  thatMap(wrong.apply("Other", create([{ key: "a", value: 1 }]))).isEqualTo({ a: 2 });
  const descriptions = await failures(wrong);
  expect(descriptions).toEqual([expect.stringContaining("thatMap: isEqualTo"), expect.stringContaining("thatMap: isEqualTo")]);
});
