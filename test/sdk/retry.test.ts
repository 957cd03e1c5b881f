/** Retry policies of element-wise transforms on the direct runner: attempts, backoff, which errors. */
import { collect, create, DoFn, flatMap, IOError, isRetriable, map, parDoWithOutputs, Pipeline, PipelineConstructionError, runPipeline, UserCodeError } from "beamline";
import { backoffMs, resolveRetryPolicy } from "../../sdk/retry";

const flaky = (id: number) => new IOError({ code: "BL_TEST_FLAKY", value: id, rule: "the service is briefly unavailable", retriable: true });

/** A function that throws `error(id)` on the first `failures(id)` calls for each id, and counts every call. */
function failing(failures: (id: number) => number, error: (id: number) => unknown = flaky) {
  const calls = new Map<number, number>();
  const fn = (row: { id: number }) => {
    const c = (calls.get(row.id) ?? 0) + 1;
    calls.set(row.id, c);
    if (c <= failures(row.id)) throw error(row.id);
    return { id: row.id, ok: true };
  };
  return { fn, calls };
}

const input = Array.from({ length: 20 }, (_, i) => ({ id: i }));
const FAST = { initialBackoffMs: 1, maxBackoffMs: 2 };

describe("retry policies", () => {
  test("backoff grows by the multiplier, stops at the cap, and jitter takes at most its share off", () => {
    const p = resolveRetryPolicy({ attempts: 6, initialBackoffMs: 100, maxBackoffMs: 1000, multiplier: 3, jitter: 0.25 }, "t");
    expect([1, 2, 3, 4].map((a) => backoffMs(p, a, () => 0))).toEqual([100, 300, 900, 1000]);
    expect(backoffMs(p, 2, () => 1)).toBe(225);
    expect(backoffMs(p, 2, () => 0.5)).toBeCloseTo(262.5);
    expect(resolveRetryPolicy({ attempts: 2 }, "t")).toMatchObject({ initialBackoffMs: 100, maxBackoffMs: 10_000, multiplier: 2, jitter: 0.5, retryIf: isRetriable });
  });

  test("bad policies are refused when the pipeline is built, naming the field", () => {
    const p = new Pipeline();
    const rows = p.apply(create(input));
    expect(() => rows.apply("A", map((r) => r, { retry: { attempts: 0 } }))).toThrow(PipelineConstructionError);
    expect(() => rows.apply("B", map((r) => r, { retry: { attempts: 2, jitter: 2 } }))).toThrow(/retry\.jitter/);
    expect(() => rows.apply("C", map((r) => r).withRetry({ attempts: 2, multiplier: 0.5 }))).toThrow(/multiplier/);
  });

  test("a retriable error is retried until an attempt succeeds: the element goes to main, no dead letter", async () => {
    const { fn, calls } = failing((id) => (id === 5 ? 2 : 0));
    const p = new Pipeline();
    const { main, deadLetter } = p.apply(create(input)).apply("Call", map(fn, { deadLetter: true, retry: { attempts: 3, ...FAST } }));
    const [good, dead] = [collect(main, "Good"), collect(deadLetter, "Dead")];
    await runPipeline(p);
    expect(good.rows.map((r) => r.id).sort((a, b) => a - b)).toEqual(input.map((r) => r.id));
    expect(dead.rows).toEqual([]);
    expect(calls.get(5)).toBe(3);
    expect(calls.get(4)).toBe(1);
  });

  test("an element that fails every attempt is dead-lettered with the attempt count, after the backoff", async () => {
    const { fn, calls } = failing((id) => (id === 7 ? Infinity : 0));
    const p = new Pipeline();
    const { main, deadLetter } = p.apply(create(input)).apply(
      "Call",
      map(fn).withRetry({ attempts: 3, initialBackoffMs: 40, multiplier: 2, jitter: 0 }).withDeadLetter(),
    );
    const [good, dead] = [collect(main, "Good"), collect(deadLetter, "Dead")];
    const t0 = Date.now();
    const result = await runPipeline(p);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40 + 80);
    expect(result.metrics.counters.get("Call")?.get("retries")).toBe(2);
    expect(result.metrics.counters.get("Call")?.get("deadLetters")).toBe(1);
    expect(calls.get(7)).toBe(3);
    expect(good.rows.length).toBe(input.length - 1);
    expect(dead.rows).toHaveLength(1);
    expect(dead.rows[0]).toMatchObject({ transform: "Call", element: '{"id":7}', errorName: "IOError", attempts: 3 });
    expect(dead.rows[0].message).toContain("briefly unavailable");
  });

  test("an error that is not retriable is dead-lettered at once; retryIf chooses otherwise", async () => {
    const plain = failing((id) => (id === 3 ? Infinity : 0), (id) => new TypeError(`no ${id}`));
    const chosen = failing((id) => (id === 3 ? Infinity : 0), (id) => new TypeError(`no ${id}`));
    const p = new Pipeline();
    const rows = p.apply(create(input));
    const a = rows.apply("A", map(plain.fn, { deadLetter: true, retry: { attempts: 4, ...FAST } }));
    const b = rows.apply("B", map(chosen.fn, { deadLetter: true, retry: { attempts: 4, ...FAST, retryIf: (e) => e instanceof TypeError } }));
    const [da, db] = [collect(a.deadLetter, "DA"), collect(b.deadLetter, "DB")];
    await runPipeline(p);
    expect([plain.calls.get(3), da.rows[0].attempts, da.rows[0].errorName]).toEqual([1, 1, "TypeError"]);
    expect([chosen.calls.get(3), db.rows[0].attempts]).toEqual([4, 4]);
  });

  test("without dead letters, retries run and the run fails when they are used up, naming the transform and the attempts", async () => {
    const transient = failing((id) => (id === 2 ? 1 : 0));
    const p1 = new Pipeline();
    const out = collect(p1.apply(create(input)).apply("Call", map(transient.fn, { retry: { attempts: 2, ...FAST } })), "Out");
    await runPipeline(p1);
    expect(out.rows).toHaveLength(input.length);

    const permanent = failing((id) => (id === 2 ? Infinity : 0));
    const p2 = new Pipeline();
    p2.apply(create(input)).apply("Call", map(permanent.fn, { retry: { attempts: 3, ...FAST } }));
    const err = await runPipeline(p2).catch((e) => e);
    expect(err).toBeInstanceOf(UserCodeError);
    expect(err.code).toBe("BL_RETRIES_EXHAUSTED");
    expect(err.message).toContain('transform "Call"');
    expect(err.message).toContain("after 3 attempts");
    expect(permanent.calls.get(2)).toBe(3);
  });

  test("what a failed attempt emitted is dropped before the next: flatMap and tagged DoFn outputs hold each element once", async () => {
    const tries = new Map<number, number>();
    const attempt = (id: number) => {
      const c = (tries.get(id) ?? 0) + 1;
      tries.set(id, c);
      return c;
    };
    const explode = flatMap(function* (row: { id: number }) {
      const c = attempt(row.id);
      yield { id: row.id, part: 0 };
      if (row.id === 4 && c < 3) throw flaky(row.id);
      yield { id: row.id, part: 1 };
    }, { deadLetter: true, retry: { attempts: 3, ...FAST } });
    const dofnTries = new Map<number, number>();
    const dofn: DoFn<{ id: number }, unknown> = {
      process(row, ctx) {
        const c = (dofnTries.get(row.id) ?? 0) + 1;
        dofnTries.set(row.id, c);
        ctx.output({ id: row.id }, { tag: "audit" });
        if (row.id === 9 && c < 2) throw flaky(row.id);
        ctx.output(row);
      },
    };
    const p = new Pipeline();
    const rows = p.apply(create(input));
    const parts = collect(rows.apply("Explode", explode).main, "Parts");
    const split = rows.apply("Split", parDoWithOutputs(dofn, { outputs: { audit: null }, retry: { attempts: 2, ...FAST } }));
    const [main, audit] = [collect(split.main, "Main"), collect(split.audit, "Audit")];
    await runPipeline(p);
    expect(parts.rows.filter((r) => r.id === 4)).toEqual([{ id: 4, part: 0 }, { id: 4, part: 1 }]);
    expect(parts.rows).toHaveLength(2 * input.length);
    expect(tries.get(4)).toBe(3);
    expect(audit.rows.map((r: any) => r.id).sort((a: number, b: number) => a - b)).toEqual(input.map((r) => r.id));
    expect(main.rows).toHaveLength(input.length);
  });
});
