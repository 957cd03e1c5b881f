/**
 * A Dataflow job's user metrics as the named counters per transform every runner reports: Dataflow
 * gives each user metric by step (the transform's name) twice, committed and tentative (`tentative`
 * in its context); the committed value counts. A distribution becomes `name.count` and `name.sum`, as
 * on the other runners.
 */
import type { DataflowMetricUpdate } from "./jobs-api";

/** The committed user counters of `updates`, by transform and name. */
export function countersFromMetrics(updates: readonly DataflowMetricUpdate[]): Map<string, Map<string, number>> {
  const values: [step: string, name: string, value: number][] = [];
  for (const u of updates) {
    const context = u.name?.context ?? {};
    const name = u.name?.name;
    if (u.name?.origin !== "user" || !name || context.tentative === "true") continue;
    const step = context.step ?? context.original_step ?? "";
    if (u.scalar !== undefined) values.push([step, name, Number(u.scalar)]);
    else if (u.distribution) values.push([step, `${name}.count`, Number(u.distribution.count ?? 0)], [step, `${name}.sum`, Number(u.distribution.sum ?? 0)]);
  }
  const out = new Map<string, Map<string, number>>();
  for (const [step, name, value] of values) {
    const counters = out.get(step) ?? new Map<string, number>();
    counters.set(name, (counters.get(name) ?? 0) + value);
    out.set(step, counters);
  }
  return out;
}
