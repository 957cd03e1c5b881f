/**
 * The one dead-letter schema. Every source, transform and sink that routes a bad record or a failing
 * element aside instead of failing the run emits rows of this schema on its `deadLetter` output: which
 * transform, what (the element as JSON text, and the raw bytes where a source had them), why (the
 * error's name, message and first stack frames), when and where in event time, after how many
 * attempts, and where it came from (file and line, or topic, partition and offset).
 */
import type { PCollection } from "./pcollection";
import { schema, t } from "./schema";
import { formatTimestamp } from "./time";
import type { Window } from "./window";

/** A dead letter: a record or element that was routed aside, with where it came from and why. */
export interface DeadLetter {
  /** The unique name of the transform that routed it aside. */
  readonly transform: string;
  /** The element as JSON text (a source's record: its raw text as a JSON string). */
  readonly element: string;
  /** The raw bytes of the record, where a source had them; null for a transform's element. */
  readonly raw: Uint8Array | null;
  /** The error's name, such as `TypeError` or `IOError`. */
  readonly errorName: string;
  /** The error's message. */
  readonly message: string;
  /** The first frames of the error's stack, one per line; null when it had none. */
  readonly stack: string | null;
  /** The element's event time (ms); null for a source's record, which had none yet. */
  readonly eventTime: number | null;
  /** The element's window as text (`global`, or `[start, end)` in UTC); null for a source's record. */
  readonly window: string | null;
  /** How many times the element was tried (1 when it was not retried). */
  readonly attempts: number;
  /** The file it came from, for a file source. */
  readonly file: string | null;
  /** Its 1-based line in that file (the first line of a multi-line record). */
  readonly line: number | null;
  /** The topic it came from, for a message source. */
  readonly topic: string | null;
  /** Its partition in that topic. */
  readonly partition: number | null;
  /** Its offset in that partition. */
  readonly offset: number | null;
}

/** The schema of every dead-letter output (see {@link DeadLetter}). */
export const deadLetterSchema = schema({
  transform: t.string(),
  element: t.string(),
  raw: t.binary(),
  errorName: t.string(),
  message: t.string(),
  stack: t.string(),
  eventTime: t.timestamp(),
  window: t.string(),
  attempts: t.int32(),
  file: t.string(),
  line: t.int64(),
  topic: t.string(),
  partition: t.int32(),
  offset: t.int64(),
});

/** A result with dead letters: the rows that went through, and the ones routed aside. */
export type WithDeadLetters<T> = {
  /** The rows that went through. */
  readonly main: PCollection<T>;
  /** The rows routed aside, with the reason. */
  readonly deadLetter: PCollection<DeadLetter>;
};

/** The output tag of dead letters. */
export const DEAD_LETTER_TAG = "deadLetter";

/** How many stack frames a dead letter keeps. */
const STACK_FRAMES = 5;

/** Where a source's bad record came from. */
export type RecordOrigin =
  | { readonly file: string; readonly line: number }
  | { readonly topic: string; readonly partition: number; readonly offset: number };

/** @internal The dead letter of an element a transform's function failed on. */
export function elementDeadLetter(transform: string, element: unknown, error: unknown, attempts: number, eventTime: number, window: Window): DeadLetter {
  return {
    transform,
    element: elementJson(element),
    raw: null,
    ...errorFields(error),
    eventTime,
    window: windowText(window),
    attempts,
    ...NO_ORIGIN,
  };
}

/** @internal The dead letter of a record a source could not read. */
export function recordDeadLetter(transform: string, origin: RecordOrigin, raw: string | Uint8Array, errorName: string, message: string): DeadLetter {
  const text = typeof raw === "string" ? raw : UTF8_DECODER.decode(raw);
  return {
    transform,
    element: JSON.stringify(text),
    raw: typeof raw === "string" ? UTF8_ENCODER.encode(raw) : raw,
    errorName,
    message,
    stack: null,
    eventTime: null,
    window: null,
    attempts: 1,
    ...NO_ORIGIN,
    ...origin,
  };
}

const UTF8_ENCODER = new TextEncoder();
const UTF8_DECODER = new TextDecoder();

const NO_ORIGIN = { file: null, line: null, topic: null, partition: null, offset: null } as const;

/** The name, message and first stack frames of anything thrown. */
function errorFields(error: unknown): Pick<DeadLetter, "errorName" | "message" | "stack"> {
  if (error instanceof Error) {
    const frames = (error.stack ?? "")
      .split("\n")
      .filter((l) => /^\s+at /.test(l))
      .slice(0, STACK_FRAMES)
      .map((l) => l.trim());
    return { errorName: error.name, message: error.message, stack: frames.length > 0 ? frames.join("\n") : null };
  }
  return { errorName: typeof error, message: String(error), stack: null };
}

/** An element as JSON text: bigints as decimal strings, bytes as arrays of numbers; never throws. */
export function elementJson(element: unknown): string {
  try {
    const text = JSON.stringify(element, (_k, v) => (typeof v === "bigint" ? v.toString() : ArrayBuffer.isView(v) ? Array.from(v as Uint8Array) : v));
    return text ?? String(element);
  } catch {
    return String(element);
  }
}

/** A window as text: `global`, or `[start, end)` with both ends in UTC. */
export function windowText(w: Window): string {
  return w.global ? "global" : `[${formatTimestamp(w.start)}, ${formatTimestamp(w.end)})`;
}
