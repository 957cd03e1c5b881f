/**
 * An instance's metrics sample as users see it: the exchanges the layout inserted are not theirs, so
 * their numbers are left out and their named counters count for the transform each exchange feeds; so
 * does the time an exchange-in spent aligning a checkpoint's barriers (the transform's `alignmentMs`).
 */
import { FIELD, InstanceSample, TRANSFORM_FIELDS } from "../../metrics/sample";
import { EXCHANGE_IN_URN, EXCHANGE_OUT_URN, Layout } from "./layout";

/** Whether `name` is an exchange the layout inserted. */
export function isExchange(name: string): boolean {
  return name.startsWith(EXCHANGE_IN_URN) || name.startsWith(EXCHANGE_OUT_URN);
}

/** The transform an exchange's counters count for (the consumer of its edge), or `name` itself. */
export function counterOwner(name: string, lay: Layout): string {
  return name.startsWith(`${EXCHANGE_OUT_URN}/`) ? (lay.edges[Number(name.slice(EXCHANGE_OUT_URN.length + 1))]?.consumer ?? name) : name;
}

/** The transform exchange-in `name` feeds (the consumer of its edge), or undefined when `name` is no exchange-in. */
function fedBy(name: string, lay: Layout): string | undefined {
  return name.startsWith(`${EXCHANGE_IN_URN}/`) ? lay.edges[Number(name.slice(EXCHANGE_IN_URN.length + 1))]?.consumer : undefined;
}

/** `sample` without the exchanges' numbers, their counters added to their consumers', and the exchange-ins' alignment too. */
export function userSample(sample: InstanceSample, lay: Layout): InstanceSample {
  const stride = TRANSFORM_FIELDS.length;
  const keep = sample.transforms.map((name, i) => [name, i] as const).filter(([name]) => !isExchange(name));
  const values = keep.flatMap(([, i]) => sample.values.slice(i * stride, (i + 1) * stride));
  sample.transforms.forEach((name, i) => {
    const consumer = fedBy(name, lay);
    const k = consumer === undefined ? -1 : keep.findIndex(([n]) => n === consumer);
    if (k >= 0) values[k * stride + FIELD.alignmentMs] += sample.values[i * stride + FIELD.alignmentMs];
  });
  const counters = new Map<string, Map<string, number>>();
  for (const [name, cs] of sample.counters) {
    const owner = counterOwner(name, lay);
    let c = counters.get(owner);
    if (!c) counters.set(owner, (c = new Map()));
    for (const [k, n] of cs) c.set(k, (c.get(k) ?? 0) + n);
  }
  return {
    ...sample,
    transforms: keep.map(([name]) => name),
    values,
    watermarks: keep.map(([, i]) => sample.watermarks[i]),
    counters: [...counters].map(([k, v]) => [k, [...v]] as const),
  };
}
