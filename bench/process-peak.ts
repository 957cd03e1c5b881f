/**
 * The peak resident set size of another process (a JVM, Prism), read from Linux's
 * `/proc/<pid>/status` (`VmHWM`, the high-water mark) while it runs: the last reading before the
 * process exits is its peak, to within the polling interval's growth.
 */
import * as fs from "node:fs";

/** `VmHWM` of a `/proc/<pid>/status` text, in MB; undefined when it has none. */
export function vmHwmMB(status: string): number | undefined {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}

/** Polls a process's peak RSS every `intervalMs`; `stop()` returns the highest reading in MB (0 when none was had). */
export function watchPeakRss(pid: number, intervalMs = 200): { stop(): number } {
  let peak = 0;
  const read = () => {
    try {
      peak = Math.max(peak, vmHwmMB(fs.readFileSync(`/proc/${pid}/status`, "utf8")) ?? 0);
    } catch {
      // The process has exited (or this is not Linux): the last reading stands.
    }
  };
  read();
  const timer = setInterval(read, intervalMs);
  timer.unref();
  return {
    stop() {
      read();
      clearInterval(timer);
      return peak;
    },
  };
}
