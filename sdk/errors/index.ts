/**
 * Beamline's one error class. Every error names the offending value, the rule it broke and the fix,
 * carries a stable `code`, a domain and whether retrying can help.
 */

/** Who is at fault: the user's pipeline or data, an external system, or Beamline itself. */
export type ErrorDomain = "user" | "external" | "internal";

/** What a {@link BeamlineError} is built from. */
export interface BeamlineErrorInit {
  /** A stable, machine-readable code such as `BL_SCHEMA_MISMATCH`. */
  code: string;
  /** Defaults to `user`. */
  domain?: ErrorDomain;
  /** The value that broke the rule, shown quoted in the message. */
  value?: unknown;
  /** The rule that was broken, as a sentence. */
  rule: string;
  /** What the user should do about it. */
  fix?: string;
  /** Where it happened: a transform name, a file and line, an option. */
  where?: string;
  /** Whether retrying the same operation may succeed. Defaults to false. */
  retriable?: boolean;
  /** The underlying error, if any. */
  cause?: unknown;
}

/** Renders a value for an error message: short, quoted, never throwing. */
export function describeValue(value: unknown, max = 120): string {
  let text: string;
  try {
    if (typeof value === "string") text = JSON.stringify(value);
    else if (typeof value === "bigint") text = `${value}n`;
    else if (value === undefined) text = "undefined";
    else if (typeof value === "number" && !Number.isFinite(value)) text = String(value);
    else if (typeof value === "function") text = `function ${value.name || "(anonymous)"}`;
    else text = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The base class of every error Beamline raises. Test with `instanceof`. */
export class BeamlineError extends Error {
  /** A stable code, such as `BL_UNKNOWN_OPTION`. */
  readonly code: string;
  /** Whose fault it is. */
  readonly domain: ErrorDomain;
  /** Whether a retry may succeed. */
  readonly retriable: boolean;
  /** The offending value, when there is one. */
  readonly value: unknown;
  /** The rule that was broken. */
  readonly rule: string;
  /** How to fix it. */
  readonly fix?: string;
  /** Where it happened. */
  readonly where?: string;

  constructor(init: BeamlineErrorInit) {
    const parts: string[] = [];
    if (init.where) parts.push(`${init.where}:`);
    if ("value" in init) parts.push(`${describeValue(init.value)} —`);
    parts.push(init.rule.endsWith(".") ? init.rule : `${init.rule}.`);
    if (init.fix) parts.push(init.fix.endsWith(".") ? init.fix : `${init.fix}.`);
    super(parts.join(" "), init.cause !== undefined ? { cause: init.cause } : undefined);
    this.name = new.target.name;
    this.code = init.code;
    this.domain = init.domain ?? "user";
    this.retriable = init.retriable ?? false;
    this.value = init.value;
    this.rule = init.rule;
    this.fix = init.fix;
    this.where = init.where;
  }
}

/** A pipeline that cannot be constructed as written (duplicate names, wrong input types). */
export class PipelineConstructionError extends BeamlineError {}

/** A command-line or programmatic pipeline option that is unknown or malformed. */
export class OptionError extends BeamlineError {}

/** Rows that do not fit the schema they must have. */
export class SchemaError extends BeamlineError {}

/** A file that is missing, unreadable or malformed. */
export class IOError extends BeamlineError {}

/** A user function threw while processing data. */
export class UserCodeError extends BeamlineError {}

/**
 * A failure an immediate retry of the same read or commit may get past (a dropped connection, a busy
 * service): a source's `read` or a committer's `commit` may throw it, and the direct runner retries
 * the read from the part's last position, or the commit, a few times with backoff before failing.
 */
export class TransientError extends BeamlineError {
  constructor(init: BeamlineErrorInit) {
    super({ domain: "external", retriable: true, ...init });
  }
}

/** A runner was asked to do something it cannot do. */
export class UnsupportedFeatureError extends BeamlineError {}

/** Wraps anything thrown by user code so the message names the transform. */
export function wrapUserError(err: unknown, transform: string, value?: unknown): BeamlineError {
  if (err instanceof BeamlineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UserCodeError({
    code: "BL_USER_CODE_FAILED",
    where: `transform "${transform}"`,
    ...(value !== undefined ? { value } : {}),
    rule: `the user function threw: ${message}`,
    fix: "fix the function, or route the elements it throws on to a dead-letter output with { deadLetter: true } (or .withDeadLetter())",
    cause: err,
  });
}
