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

/** The sendable form of anything thrown. */
export function errorToRemote(e: unknown): RemoteError {
  if (e instanceof BeamlineError) {
    return {
      name: e.name,
      message: e.message,
      stack: e.stack,
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
  if (e instanceof Error) return { name: e.name, message: e.message, stack: e.stack };
  return { name: "Error", message: String(e) };
}

/** Rebuilds an error sent by a worker; Beamline errors get their own class back. */
export function errorFromRemote(r: RemoteError): Error {
  if (r.beamline) {
    const Class = CLASSES[r.name] ?? BeamlineError;
    const e = new Class({ ...r.beamline });
    if (r.stack) e.stack = r.stack;
    return e;
  }
  const e = new Error(r.message);
  e.name = r.name;
  if (r.stack) e.stack = r.stack;
  return e;
}
