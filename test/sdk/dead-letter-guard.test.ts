/** The guard on dead letters: past `maxDeadLetters` or `maxDeadLetterRatio` the run fails, naming the transform. */
import { collect, create, map, Pipeline, runPipeline, UserCodeError } from "beamline";

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i }));
/** Throws on one id in `every`. */
const parseEvery = (every: number) => (row: { id: number }) => {
  if (row.id % every === 0) throw new RangeError(`id ${row.id} is bad`);
  return row;
};

async function runWith(n: number, every: number, limits: { maxDeadLetters?: number; maxDeadLetterRatio?: number }): Promise<{ error: unknown; dead: number }> {
  const p = new Pipeline();
  const { deadLetter } = p.apply(create(rows(n))).apply("Parse", map(parseEvery(every), { deadLetter: true, ...limits }));
  const dead = collect(deadLetter, "Dead");
  const error = await runPipeline(p, { batchSize: 50 }).then(() => null, (e) => e);
  return { error, dead: dead.rows.length };
}

describe("the dead-letter guard", () => {
  test("maxDeadLetters: more dead letters than the limit fail the run, naming the transform and the last error", async () => {
    const { error } = await runWith(1000, 10, { maxDeadLetters: 5 });
    expect(error).toBeInstanceOf(UserCodeError);
    expect((error as UserCodeError).code).toBe("BL_TOO_MANY_DEAD_LETTERS");
    expect((error as Error).message).toContain('transform "Parse"');
    expect((error as Error).message).toContain("maxDeadLetters (5)");
    expect((error as Error).message).toMatch(/RangeError: id \d+ is bad/);
    expect((error as UserCodeError).value).toEqual({ deadLetters: 6 });
  });

  test("maxDeadLetters: as many as the limit pass, every dead letter delivered", async () => {
    expect(await runWith(1000, 10, { maxDeadLetters: 100 })).toEqual({ error: null, dead: 100 });
  });

  test("maxDeadLetterRatio: a larger share of dead letters fails the run; a smaller one passes", async () => {
    const over = await runWith(1000, 10, { maxDeadLetterRatio: 0.05 });
    expect((over.error as UserCodeError).code).toBe("BL_TOO_MANY_DEAD_LETTERS");
    expect((over.error as Error).message).toContain('transform "Parse"');
    expect((over.error as Error).message).toContain("maxDeadLetterRatio (0.05)");
    expect((over.error as UserCodeError).value).toEqual({ deadLetters: 100, elements: 1000 });
    expect(await runWith(1000, 10, { maxDeadLetterRatio: 0.2 })).toEqual({ error: null, dead: 100 });
  });

  test("maxDeadLetterRatio on a short input is checked when the input ends", async () => {
    // 10 rows, 4 bad (ids 0, 3, 6, 9): fewer rows than the ratio waits for before the end.
    const over = await runWith(10, 3, { maxDeadLetterRatio: 0.3 });
    expect((over.error as UserCodeError).code).toBe("BL_TOO_MANY_DEAD_LETTERS");
    expect(await runWith(10, 3, { maxDeadLetterRatio: 0.4 })).toEqual({ error: null, dead: 4 });
  });
});
