/**
 * Typed pipeline options: declared once, parsed from `--name=value` command-line arguments (or given
 * programmatically), with clear errors for unknown names and malformed values.
 */
import { OptionError } from "./errors";

/** One option's declaration. */
export interface OptionSpec<T = unknown> {
  readonly kind: "string" | "number" | "integer" | "boolean" | "enum" | "list";
  readonly description: string;
  readonly default?: T;
  readonly required?: boolean;
  readonly choices?: readonly string[];
  /** The least value a number or integer option accepts. */
  readonly min?: number;
  /** The greatest value a number or integer option accepts. */
  readonly max?: number;
  /** Type carrier; never set. */
  readonly __value?: T;
}

/** A set of option declarations by name (camelCase; `--kebab-case` on the command line). */
export type OptionSpecs = Record<string, OptionSpec<any>>;

/** The parsed values of a set of option declarations. */
export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]: S[K] extends OptionSpec<infer T> ? (S[K]["required"] extends true ? T : S[K]["default"] extends T ? T : T | undefined) : never;
};

interface Extra<T> {
  default?: T;
  required?: boolean;
}

/** A number's or integer's extras: its bounds too. */
interface NumberExtra extends Extra<number> {
  min?: number;
  max?: number;
}

/** Option declarations. */
export const option = {
  /** A string option. */
  string<E extends Extra<string>>(description: string, extra?: E): OptionSpec<string> & E {
    return { kind: "string", description, ...(extra as E) };
  },
  /** A number option (any finite number). */
  number<E extends NumberExtra>(description: string, extra?: E): OptionSpec<number> & E {
    return { kind: "number", description, ...(extra as E) };
  },
  /** An integer option; `min` and `max` bound it. */
  integer<E extends NumberExtra>(description: string, extra?: E): OptionSpec<number> & E {
    return { kind: "integer", description, ...(extra as E) };
  },
  /** A boolean option: `--flag`, `--flag=true`, `--flag=false`, `--no-flag`. */
  boolean<E extends Extra<boolean>>(description: string, extra?: E): OptionSpec<boolean> & E {
    return { kind: "boolean", description, ...(extra as E) };
  },
  /** A repeatable string option: each `--name=value` adds a value (in code: an array of strings). */
  list<E extends Extra<string[]>>(description: string, extra?: E): OptionSpec<string[]> & E {
    return { kind: "list", description, ...(extra as E) };
  },
  /** One of a fixed set of strings. */
  enum<C extends string, E extends Extra<C>>(description: string, choices: readonly C[], extra?: E): OptionSpec<C> & E {
    return { kind: "enum", description, choices, ...(extra as E) };
  },
};

/** `checkpointDir` → `checkpoint-dir`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `checkpoint-dir` → `checkpointDir`. */
export function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Converts and validates one raw value. */
export function convertOption(name: string, spec: OptionSpec, raw: unknown): unknown {
  const flag = `--${kebab(name)}`;
  const bad = (rule: string, fix: string) =>
    new OptionError({ code: "BL_BAD_OPTION", where: `option ${flag}`, value: raw, rule, fix });
  switch (spec.kind) {
    case "string":
      if (typeof raw !== "string") throw bad("must be a string", `pass ${flag}=<text>`);
      return raw;
    case "number":
    case "integer": {
      const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
      if (!Number.isFinite(n)) throw bad(`must be ${spec.kind === "integer" ? "an integer" : "a number"}`, `pass e.g. ${flag}=4`);
      if (spec.kind === "integer" && !Number.isInteger(n)) throw bad("must be an integer", `pass e.g. ${flag}=${Math.round(n)}`);
      if (spec.min !== undefined && n < spec.min) throw bad(`must be at least ${spec.min}`, `pass ${flag}=${spec.min} or more`);
      if (spec.max !== undefined && n > spec.max) throw bad(`must be at most ${spec.max}`, `pass ${flag}=${spec.max} or less`);
      return n;
    }
    case "boolean":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "1" || raw === "yes") return true;
      if (raw === "false" || raw === "0" || raw === "no") return false;
      throw bad("must be true or false", `pass ${flag} or ${flag}=false`);
    case "list":
      if (typeof raw === "string") return [raw];
      if (!Array.isArray(raw) || raw.some((v) => typeof v !== "string")) throw bad("must be a list of strings", `pass ${flag}=<text>, once per value`);
      return raw;
    case "enum":
      if (typeof raw !== "string" || !spec.choices!.includes(raw)) {
        throw bad(`must be one of ${spec.choices!.join(", ")}`, `pass e.g. ${flag}=${spec.choices![0]}`);
      }
      return raw;
  }
}

/**
 * Parses `--name=value`, `--name value`, `--flag` and `--no-flag` arguments against declarations.
 * Returns the values (defaults filled in) and the positional arguments.
 * Unknown names are refused with the list of known ones; missing required options too.
 */
export function parseOptions<S extends OptionSpecs>(
  argv: readonly string[],
  specs: S,
): { values: OptionValues<S>; positional: string[] } {
  const raw: Record<string, unknown> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith("--") || arg === "--") {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    let name = camel(arg.slice(2, eq < 0 ? undefined : eq));
    let value: unknown;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (!(name in specs) && name.startsWith("no") && camel(arg.slice(5)) in specs && specs[camel(arg.slice(5))].kind === "boolean") {
      name = camel(arg.slice(5));
      value = false;
    } else if (specs[name]?.kind === "boolean") {
      const next = argv[i + 1];
      value = next === "true" || next === "false" ? (i++, next) : true;
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) value = argv[++i];
    else value = undefined;
    if (!(name in specs)) throw unknownOption(arg.slice(0, eq < 0 ? undefined : eq), specs);
    if (value === undefined) {
      throw new OptionError({
        code: "BL_BAD_OPTION",
        where: `option --${kebab(name)}`,
        rule: "needs a value",
        fix: `pass --${kebab(name)}=<value>`,
      });
    }
    raw[name] = specs[name].kind === "list" ? [...((raw[name] as string[] | undefined) ?? []), value] : value;
  }
  return { values: resolveOptions(raw, specs), positional };
}

/** Validates programmatic option values and fills in defaults. */
export function resolveOptions<S extends OptionSpecs>(given: Record<string, unknown>, specs: S): OptionValues<S> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (!(name in specs)) throw unknownOption(`--${kebab(name)}`, specs);
    out[name] = convertOption(name, specs[name], value);
  }
  for (const [name, spec] of Object.entries(specs)) {
    if (out[name] === undefined && spec.default !== undefined) out[name] = spec.default;
    if (out[name] === undefined && spec.required) {
      throw new OptionError({
        code: "BL_MISSING_OPTION",
        where: `option --${kebab(name)}`,
        rule: "is required",
        fix: `pass --${kebab(name)}=<value> (${spec.description})`,
      });
    }
  }
  return out as OptionValues<S>;
}

/** The edit distance between two strings (insertions, deletions, substitutions, and swaps of neighbours). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function unknownOption(flag: string, specs: OptionSpecs): OptionError {
  const known = Object.keys(specs).map((k) => `--${kebab(k)}`).sort();
  // The nearest known flag, when it is close enough to be a typo (a third of its length at most).
  const scored = known.map((k) => ({ k, d: editDistance(flag, k) })).sort((a, b) => a.d - b.d);
  const near = scored.length > 0 && scored[0].d <= Math.max(1, Math.floor((scored[0].k.length - 2) / 3)) ? scored[0].k : null;
  return new OptionError({
    code: "BL_UNKNOWN_OPTION",
    value: flag,
    rule: "is not an option of this runner or pipeline",
    fix: `${near ? `did you mean ${near}? ` : ""}use one of: ${known.join(", ")}`,
  });
}

/** Renders declarations as `--help` text. */
export function formatOptionHelp(title: string, specs: OptionSpecs): string {
  const lines = [`${title}:`];
  for (const [name, spec] of Object.entries(specs)) {
    const kind = spec.kind === "enum" ? spec.choices!.join("|") : spec.kind === "list" ? "string" : spec.kind;
    const flag = `  --${kebab(name)}=<${kind}>`;
    // An empty default means "none": the description says what happens without the option.
    const extra = spec.required ? " (required)" : spec.default !== undefined && spec.default !== "" && !(Array.isArray(spec.default) && spec.default.length === 0) ? ` (default: ${String(spec.default)})` : "";
    lines.push(`${flag.padEnd(40)} ${spec.description}${extra}`);
  }
  return lines.join("\n");
}
