/**
 * Errors across threads. Structured cloning keeps an error's message but not its class, so a worker
 * sends the fields of a {@link BeamlineError} and the coordinator rebuilds the same class, code,
 * domain, rule and fix, with the worker's stack.
 */
import {
  BeamlineError,
  IOError,
  OptionError,
  PipelineConstructionError,
  SchemaError,
  UnsupportedFeatureError,
  UserCodeError,
} from "../../../sdk/errors";
import type { ErrorDomain } from "../../../sdk/errors";

/** An error as a worker sends it. */
export interface RemoteError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** The error's cause, such as what a user function threw (it holds the user's stack frames). */
  readonly cause?: RemoteError;
  /** Present for Beamline errors. */
  readonly beamline?: {
    readonly code: string;
    readonly domain: ErrorDomain;
    readonly retriable: boolean;
    readonly value?: unknown;
    readonly rule: string;
    readonly fix?: string;
    readonly where?: string;
  };
}

const CLASSES: Record<string, new (init: ConstructorParameters<typeof BeamlineError>[0]) => BeamlineError> = {
  BeamlineError,
  PipelineConstructionError,
  OptionError,
  SchemaError,
  IOError,
  UserCodeError,
  UnsupportedFeatureError,
};

function cloneable(v: unknown): unknown {
  try {
    structuredClone(v);
    return v;
  } catch {
    return String(v);
  }
}

/** Causes sent along with an error, at most. */
const CAUSE_DEPTH = 4;

/** The sendable form of anything thrown (with its causes). */
export function errorToRemote(e: unknown, depth = 0): RemoteError {
  const cause = e instanceof Error && e.cause !== undefined && depth < CAUSE_DEPTH ? { cause: errorToRemote(e.cause, depth + 1) } : {};
  if (e instanceof BeamlineError) {
    return {
      name: e.name,
      message: e.message,
      stack: e.stack,
      ...cause,
      beamline: {
        code: e.code,
        domain: e.domain,
        retriable: e.retriable,
        ...(e.value !== undefined ? { value: cloneable(e.value) } : {}),
        rule: e.rule,
        ...(e.fix !== undefined ? { fix: e.fix } : {}),
        ...(e.where !== undefined ? { where: e.where } : {}),
      },
    };
  }
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack, ...cause };
  return { name: "Error", message: String(e) };
}

/** Rebuilds an error sent by a worker; Beamline errors get their own class back. */
export function errorFromRemote(r: RemoteError): Error {
  const cause = r.cause ? { cause: errorFromRemote(r.cause) } : {};
  if (r.beamline) {
    const Class = CLASSES[r.name] ?? BeamlineError;
    const e = new Class({ ...r.beamline, ...cause });
    if (r.stack) e.stack = r.stack;
    return e;
  }
  const e = new Error(r.message, cause);
  e.name = r.name;
  if (r.stack) e.stack = r.stack;
  return e;
}
