/** Reads figures out of a Prometheus text exposition (what a run's `/metrics` endpoint serves). */

/** The sum of every series of metric `name` (all label sets) in `text`; 0 when it has none. */
export function metricSum(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // `name 12` or `name{labels} 12`, not another metric whose name starts with this one.
    if (rest[0] !== " " && rest[0] !== "{") continue;
    const sample = rest[0] === "{" ? rest.slice(rest.lastIndexOf("}") + 1) : rest;
    const value = Number(sample.trim().split(/\s+/)[0]); // a timestamp may follow the value
    if (Number.isFinite(value)) total += value;
  }
  return total;
}
