/** The shared async retry of sources, sinks and connectors: attempts, which errors, progress, and transient I/O errors. */
import { IOError } from "beamline";
import { IO_RETRY_POLICY, isTransientIo, resolveRetryPolicy, retryAsync } from "../../sdk/retry";

const policy = resolveRetryPolicy({ attempts: 3, initialBackoffMs: 1, maxBackoffMs: 2, retryIf: isTransientIo }, "test");
const eio = () => Object.assign(new Error("EIO: i/o error"), { code: "EIO" });

describe("retryAsync", () => {
  test("retries transient errors until the call succeeds, and reports each retry", async () => {
    let calls = 0;
    const retries: number[] = [];
    const out = await retryAsync(async () => {
      if (++calls <= 2) throw eio();
      return "read";
    }, policy, { onRetry: (_e, attempt) => retries.push(attempt) });
    expect([out, calls, retries]).toEqual(["read", 3, [1, 2]]);
  });

  test("throws the last error once the attempts are used up, and a permanent one at once", async () => {
    let calls = 0;
    await expect(retryAsync(async () => { calls++; throw eio(); }, policy)).rejects.toMatchObject({ code: "EIO" });
    expect(calls).toBe(3);
    calls = 0;
    const denied = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    await expect(retryAsync(async () => { calls++; throw denied; }, policy)).rejects.toBe(denied);
    expect(calls).toBe(1);
  });

  test("counts attempts from 1 again after progress, and stops when the wait is cut short", async () => {
    let calls = 0;
    let progressed = false;
    // Fails every time, but makes progress before each of the first four failures: then two more attempts.
    await expect(retryAsync(async () => {
      calls++;
      progressed = calls <= 4;
      throw eio();
    }, policy, { progressed: () => progressed })).rejects.toMatchObject({ code: "EIO" });
    expect(calls).toBe(4 + 2);
    calls = 0;
    await expect(retryAsync(async () => { calls++; throw eio(); }, policy, { sleep: async () => false })).rejects.toMatchObject({ code: "EIO" });
    expect(calls).toBe(1);
  });

  test("transient I/O: a BeamlineError that says it is retriable, or a Node error that may pass", () => {
    expect(isTransientIo(eio())).toBe(true);
    expect(isTransientIo(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe(false);
    expect(isTransientIo(new IOError({ code: "BL_X", rule: "r", retriable: true }))).toBe(true);
    expect(isTransientIo(new IOError({ code: "BL_X", rule: "r" }))).toBe(false);
    expect(IO_RETRY_POLICY.attempts).toBeGreaterThan(1);
  });
});
