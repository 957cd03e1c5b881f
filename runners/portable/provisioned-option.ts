/**
 * A pipeline option as the provision service hands it to a worker: Beam's job services give each
 * option as a field `beam:option:NAME:v1`; Dataflow gives the job's `sdkPipelineOptions`, whose
 * `options` struct holds each option by its plain name.
 */

/** A protobuf `Value` as decoded: the string case, or a nested struct. */
export interface ProvisionedValue {
  readonly stringValue?: string;
  readonly structValue?: { readonly fields?: Record<string, ProvisionedValue> };
}

/** The string value of option `name` in provisioned pipeline options, or undefined when absent or empty. */
export function provisionedOption(fields: Record<string, ProvisionedValue>, name: string): string | undefined {
  // Matched loosely, as runners spell the URN's parts their own way (`beam:option:NAME:v1`).
  const key = Object.keys(fields).find((k) => k.includes(name));
  if (key && fields[key].stringValue) return fields[key].stringValue;
  const nested = fields.options?.structValue?.fields;
  return nested?.[name]?.stringValue || undefined;
}
