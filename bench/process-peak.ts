/**
 * The peak resident set size and CPU time of another process (a JVM, Prism), read from Linux's
 * `/proc/<pid>/status` (`VmHWM`, the high-water mark) and `/proc/<pid>/stat` while it runs: the last
 * reading before the process exits is its peak, to within the polling interval.
 */
import * as fs from "node:fs";

/** `VmHWM` of a `/proc/<pid>/status` text, in MB; undefined when it has none. */
export function vmHwmMB(status: string): number | undefined {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}

/** User and system CPU seconds of a `/proc/<pid>/stat` text (fields 14 and 15, in clock ticks of 1/100 s). */
export function cpuSecondsOfStat(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  return Number.isFinite(user) && Number.isFinite(system) ? (user + system) / 100 : undefined;
}

/**
 * Polls a process's peak RSS (MB) and CPU time (s) every `intervalMs`; `stop()` returns the last
 * readings (0 when none was had), taken while the process still runs.
 */
export function watchPeakRss(pid: number, intervalMs = 200): { stop(): { peakRssMB: number; cpuSeconds: number } } {
  let peak = 0;
  let cpu = 0;
  const read = () => {
    try {
      peak = Math.max(peak, vmHwmMB(fs.readFileSync(`/proc/${pid}/status`, "utf8")) ?? 0);
      cpu = Math.max(cpu, cpuSecondsOfStat(fs.readFileSync(`/proc/${pid}/stat`, "utf8")) ?? 0);
    } catch {
      // The process has exited (or this is not Linux): the last readings stand.
    }
  };
  read();
  const timer = setInterval(read, intervalMs);
  timer.unref();
  return {
    stop() {
      read();
      clearInterval(timer);
      return { peakRssMB: peak, cpuSeconds: cpu };
    },
  };
}
