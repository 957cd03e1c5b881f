/** When the state case's run failed: the memory backend running out of heap is what the case shows, anything else wrong fails it. */
import { diskStateFailed, type DiskStateLine } from "../../bench/disk-state";

const exact = (backend: string): DiskStateLine => ({ case: "state-1M-keys", backend, exact: true });
const died = (backend: string, failed: Record<string, unknown>): DiskStateLine => ({ case: "state-1M-keys", backend, failed: { code: null, signal: "SIGABRT", timedOut: false, outOfMemory: false, ...failed } });

test("the memory backend out of heap beside an exact disk run is a success", () => {
  expect(diskStateFailed([died("memory", { outOfMemory: true }), exact("disk")])).toBe(false);
  expect(diskStateFailed([exact("memory"), exact("disk")])).toBe(false);
});

test("an output that is not exact, the disk backend dying, a timeout or another death fails the run", () => {
  expect(diskStateFailed([exact("memory"), { case: "state-1M-keys", backend: "disk", exact: false }])).toBe(true);
  expect(diskStateFailed([died("disk", { outOfMemory: true })])).toBe(true);
  expect(diskStateFailed([died("memory", { outOfMemory: true, timedOut: true })])).toBe(true);
  expect(diskStateFailed([died("memory", { code: 1, signal: null })])).toBe(true);
});
