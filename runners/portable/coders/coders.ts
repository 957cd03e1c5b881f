/**
 * Beam's standard coders (the byte formats every SDK and runner share) plus Beamline's value coder for
 * PCollections whose schema is only known at run time. Coders are built from a Runner API `Coder`
 * proto and its components; `nested` tells whether a value is followed by more data (Beam's nested
 * context: self-delimiting) or stands alone (outer context).
 */
import type { Protos } from "../model/protos";
import { SchemaError } from "../../../sdk/errors";
import { InvariantError, RunnerProtocolError } from "../model/errors";
import { ByteReader, ByteWriter, instantOf, malformedBytes, readTimestamp, writeTimestamp } from "./wire";
import { decodeRow, encodeRow, RowCodec, rowCodec } from "./rowcoder";
import { GLOBAL_WINDOW, type Window } from "../../../sdk/window";
import { NO_FIRING, type PaneInfo } from "../../../sdk/batch";

/** Encodes and decodes values of one type. */
export interface Coder<T = any> {
  readonly urn: string;
  encode(value: T, w: ByteWriter, nested: boolean): void;
  decode(r: ByteReader, nested: boolean): T;
}

/** A value with its event timestamp (ms), windows and pane. */
export interface WindowedValue<T = any> {
  readonly value: T;
  readonly timestamp: number;
  readonly windows: readonly Window[];
  readonly pane: PaneInfo;
}

/** A key/value pair. */
export interface KVPair<K = any, V = any> {
  readonly key: K;
  readonly value: V;
}

/** A timer as the timer coder carries it. */
export interface TimerValue<K = any> {
  readonly userKey: K;
  readonly dynamicTimerTag: string;
  readonly windows: readonly Window[];
  readonly clearBit: boolean;
  readonly fireTimestamp?: number;
  readonly holdTimestamp?: number;
  readonly pane?: PaneInfo;
}

/** URNs of the coders implemented here. */
export const CODER_URNS = {
  bytes: "beam:coder:bytes:v1",
  stringUtf8: "beam:coder:string_utf8:v1",
  kv: "beam:coder:kv:v1",
  bool: "beam:coder:bool:v1",
  varint: "beam:coder:varint:v1",
  double: "beam:coder:double:v1",
  iterable: "beam:coder:iterable:v1",
  timer: "beam:coder:timer:v1",
  intervalWindow: "beam:coder:interval_window:v1",
  lengthPrefix: "beam:coder:length_prefix:v1",
  globalWindow: "beam:coder:global_window:v1",
  windowedValue: "beam:coder:windowed_value:v1",
  paramWindowedValue: "beam:coder:param_windowed_value:v1",
  row: "beam:coder:row:v1",
  shardedKey: "beam:coder:sharded_key:v1",
  nullable: "beam:coder:nullable:v1",
  stateBackedIterable: "beam:coder:state_backed_iterable:v1",
  /** Beamline's self-describing coder for values of PCollections without a declared schema. */
  value: "beamline:coder:value:v1",
} as const;

const TIMINGS = ["early", "on_time", "late", "unknown"] as const;

/**
 * Writes pane information as Beam's `PaneInfo.PaneInfoCoder` does: the one-byte header alone when
 * both indices are 0 or the timing is unknown; one varint index when the non-speculative index
 * equals it or the pane is early (whose non-speculative index is -1 by definition); else both.
 */
export function writePane(w: ByteWriter, p: PaneInfo): void {
  const low = (TIMINGS.indexOf(p.timing) << 2) | (p.isLast ? 2 : 0) | (p.isFirst ? 1 : 0);
  if ((p.index === 0 && p.nonSpeculativeIndex === 0) || p.timing === "unknown") w.byte(low);
  else if (p.index === p.nonSpeculativeIndex || p.timing === "early") {
    w.byte(0x10 | low);
    w.varint(p.index);
  } else {
    w.byte(0x20 | low);
    w.varint(p.index);
    w.varint(p.nonSpeculativeIndex);
  }
}

/** Reads pane information. */
export function readPane(r: ByteReader): PaneInfo {
  const b = r.byte();
  const timing = TIMINGS[(b >> 2) & 3];
  const isFirst = (b & 1) !== 0;
  const isLast = (b & 2) !== 0;
  switch (b >> 4) {
    case 0:
      if (timing === "unknown" && isFirst && isLast) return NO_FIRING;
      return { timing, isFirst, isLast, index: 0, nonSpeculativeIndex: timing === "early" ? -1 : 0 };
    case 1: {
      const index = Number(r.varint());
      return { timing, isFirst, isLast, index, nonSpeculativeIndex: timing === "early" ? -1 : index };
    }
    case 2: {
      const index = Number(r.varint());
      return { timing, isFirst, isLast, index, nonSpeculativeIndex: Number(r.varint()) };
    }
    default:
      throw malformedBytes("a pane's index encoding must be 0, 1 or 2", b >> 4);
  }
}

const bytesCoder: Coder<Uint8Array> = {
  urn: CODER_URNS.bytes,
  encode(v, w, nested) {
    if (nested) w.varint(v.length);
    w.bytes(v);
  },
  decode(r, nested) {
    return Buffer.from(nested ? r.bytes(r.length()) : r.rest());
  },
};

const stringCoder: Coder<string> = {
  urn: CODER_URNS.stringUtf8,
  encode(v, w, nested) {
    const b = Buffer.from(v, "utf8");
    if (nested) w.varint(b.length);
    w.bytes(b);
  },
  decode(r, nested) {
    return (nested ? r.bytes(r.length()) : r.rest()).toString("utf8");
  },
};

const boolCoder: Coder<boolean> = {
  urn: CODER_URNS.bool,
  encode: (v, w) => w.byte(v ? 1 : 0),
  decode: (r) => r.byte() !== 0,
};

const varintCoder: Coder<number | bigint> = {
  urn: CODER_URNS.varint,
  encode: (v, w) => w.varint(v),
  decode: (r) => r.varint(),
};

const doubleCoder: Coder<number> = {
  urn: CODER_URNS.double,
  encode: (v, w) => w.double(v),
  decode: (r) => r.double(),
};

const globalWindowCoder: Coder<Window> = {
  urn: CODER_URNS.globalWindow,
  encode() {},
  decode: () => GLOBAL_WINDOW,
};

const intervalWindowCoder: Coder<Window> = {
  urn: CODER_URNS.intervalWindow,
  encode(v, w) {
    writeTimestamp(w, v.end);
    w.varint(instantOf(v.end) - instantOf(v.start));
  },
  decode(r) {
    const end = readTimestamp(r);
    const span = Number(r.varint());
    return { start: end - span, end, global: false };
  },
};

function kvCoder(k: Coder, v: Coder): Coder<KVPair> {
  return {
    urn: CODER_URNS.kv,
    encode(x, w, nested) {
      k.encode(x.key, w, true);
      v.encode(x.value, w, nested);
    },
    decode(r, nested) {
      const key = k.decode(r, true);
      return { key, value: v.decode(r, nested) };
    },
  };
}

/**
 * The start of an encoded iterable: its int32 count and that many elements, or (a count of -1) no
 * element yet, with blocks of elements to follow.
 */
function iterablePrefix(e: Coder, r: ByteReader): { out: unknown[]; blocks: boolean } {
  const n = r.int32();
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(e.decode(r, true));
  return { out, blocks: n < 0 };
}

function iterableCoder(e: Coder): Coder<unknown[]> {
  return {
    urn: CODER_URNS.iterable,
    encode(xs, w) {
      w.int32(xs.length);
      for (const x of xs) e.encode(x, w, true);
    },
    decode(r) {
      const { out, blocks } = iterablePrefix(e, r);
      // Blocks of a varint count each, ended by a zero count.
      if (blocks) for (let c = r.length(); c > 0; c = r.length()) for (let i = 0; i < c; i++) out.push(e.decode(r, true));
      return out;
    },
  };
}

function lengthPrefixCoder(inner: Coder): Coder {
  return {
    urn: CODER_URNS.lengthPrefix,
    encode(v, w) {
      const tmp = new ByteWriter();
      inner.encode(v, tmp, false);
      w.varint(tmp.length);
      w.bytes(tmp.finish());
    },
    decode(r) {
      const n = r.length();
      return inner.decode(new ByteReader(r.bytes(n)), false);
    },
  };
}

function nullableCoder(inner: Coder): Coder {
  return {
    urn: CODER_URNS.nullable,
    encode(v, w, nested) {
      if (v === null || v === undefined) w.byte(0);
      else {
        w.byte(1);
        inner.encode(v, w, nested);
      }
    },
    decode(r, nested) {
      return r.byte() === 0 ? null : inner.decode(r, nested);
    },
  };
}

function shardedKeyCoder(inner: Coder): Coder<{ shardId: Uint8Array; key: unknown }> {
  return {
    urn: CODER_URNS.shardedKey,
    encode(v, w) {
      bytesCoder.encode(v.shardId, w, true);
      inner.encode(v.key, w, true);
    },
    decode(r) {
      const shardId = bytesCoder.decode(r, true);
      return { shardId, key: inner.decode(r, true) };
    },
  };
}

/**
 * An iterable whose tail lives in the runner's state: the prefix sent inline and the state token to
 * read the rest with (then {@link StateBackedIterable.complete} with the bytes read).
 */
export class StateBackedIterable {
  constructor(
    /** The elements sent inline. */
    readonly prefix: unknown[],
    /** The state key's token for the rest. */
    readonly token: Buffer,
    private readonly element: Coder,
  ) {}

  /** All elements, given the concatenated bytes of the state reads for the token. */
  complete(rest: Buffer): unknown[] {
    const out = [...this.prefix];
    const r = new ByteReader(rest);
    while (!r.done) out.push(this.element.decode(r, true));
    return out;
  }
}

function stateBackedIterableCoder(e: Coder): Coder<unknown[] | StateBackedIterable> {
  const plain = iterableCoder(e);
  return {
    urn: CODER_URNS.stateBackedIterable,
    encode: (xs, w, nested) => plain.encode(xs as unknown[], w, nested),
    decode(r) {
      const { out, blocks } = iterablePrefix(e, r);
      if (!blocks) return out;
      for (;;) {
        const c = r.varint();
        if (c === 0) return out;
        if (c === -1) return new StateBackedIterable(out, Buffer.from(r.bytes(r.length())), e);
        for (let i = 0; i < Number(c); i++) out.push(e.decode(r, true));
      }
    },
  };
}

/** The windowed value coder for elements of `value` in windows of `window`. */
export function windowedValueCoder(value: Coder, window: Coder<Window>): Coder<WindowedValue> {
  return {
    urn: CODER_URNS.windowedValue,
    encode(x, w, nested) {
      writeTimestamp(w, x.timestamp);
      w.int32(x.windows.length);
      for (const win of x.windows) window.encode(win, w, true);
      writePane(w, x.pane);
      value.encode(x.value, w, nested);
    },
    decode(r, nested) {
      const timestamp = readTimestamp(r);
      const n = r.int32();
      const windows: Window[] = [];
      for (let i = 0; i < n; i++) windows.push(window.decode(r, true));
      const pane = readPane(r);
      return { value: value.decode(r, nested), timestamp, windows, pane };
    },
  };
}

function paramWindowedValueCoder(value: Coder, window: Coder<Window>, payload: Uint8Array): Coder<WindowedValue> {
  const r = new ByteReader(Buffer.from(payload));
  const timestamp = readTimestamp(r);
  const n = r.int32();
  const windows: Window[] = [];
  for (let i = 0; i < n; i++) windows.push(window.decode(r, true));
  const pane = readPane(r);
  return {
    urn: CODER_URNS.paramWindowedValue,
    encode: (x, w, nested) => value.encode(x.value, w, nested),
    decode: (rr, nested) => ({ value: value.decode(rr, nested), timestamp, windows, pane }),
  };
}

function timerCoder(key: Coder, window: Coder<Window>): Coder<TimerValue> {
  return {
    urn: CODER_URNS.timer,
    encode(t, w) {
      key.encode(t.userKey, w, true);
      stringCoder.encode(t.dynamicTimerTag, w, true);
      w.int32(t.windows.length);
      for (const win of t.windows) window.encode(win, w, true);
      boolCoder.encode(t.clearBit, w, true);
      if (!t.clearBit) {
        writeTimestamp(w, t.fireTimestamp!);
        writeTimestamp(w, t.holdTimestamp!);
        writePane(w, t.pane ?? NO_FIRING);
      }
    },
    decode(r) {
      const userKey = key.decode(r, true);
      const dynamicTimerTag = stringCoder.decode(r, true);
      const n = r.int32();
      // A global window takes no bytes, so a garbled count would otherwise grow the array until the process aborts.
      if (n > r.remaining) throw malformedBytes(`a timer's count of windows is more than the ${r.remaining} byte(s) left`, n);
      const windows: Window[] = [];
      for (let i = 0; i < n; i++) windows.push(window.decode(r, true));
      const clearBit = boolCoder.decode(r, true);
      if (clearBit) return { userKey, dynamicTimerTag, windows, clearBit };
      const fireTimestamp = readTimestamp(r);
      const holdTimestamp = readTimestamp(r);
      return { userKey, dynamicTimerTag, windows, clearBit, fireTimestamp, holdTimestamp, pane: readPane(r) };
    },
  };
}

function rowCoder(codec: RowCodec): Coder<Record<string, unknown>> {
  return {
    urn: CODER_URNS.row,
    encode: (v, w) => encodeRow(codec, v, w),
    decode: (r) => decodeRow(codec, r),
  };
}

// Beamline's value coder: a type tag then the value, deterministic for equal values.
const V_NULL = 0, V_FALSE = 1, V_TRUE = 2, V_NUMBER = 3, V_INT64 = 4, V_BIGINT = 5, V_STRING = 6, V_BINARY = 7, V_DATE = 8, V_ARRAY = 9, V_OBJECT = 10, V_UNDEFINED = 11;

function writeValue(v: unknown, w: ByteWriter): void {
  if (v === null) return w.byte(V_NULL);
  switch (typeof v) {
    case "undefined":
      return w.byte(V_UNDEFINED);
    case "boolean":
      return w.byte(v ? V_TRUE : V_FALSE);
    case "number":
      w.byte(V_NUMBER);
      return w.double(v);
    case "bigint":
      if (BigInt.asIntN(64, v) === v) {
        w.byte(V_INT64);
        return w.varint(v);
      }
      w.byte(V_BIGINT);
      return stringCoder.encode(v.toString(), w, true);
    case "string":
      w.byte(V_STRING);
      return stringCoder.encode(v, w, true);
    case "object": {
      if (v instanceof Uint8Array) {
        w.byte(V_BINARY);
        return bytesCoder.encode(v, w, true);
      }
      if (v instanceof Date) {
        w.byte(V_DATE);
        return w.double(v.getTime());
      }
      if (Array.isArray(v)) {
        w.byte(V_ARRAY);
        w.varint(v.length);
        for (const x of v) writeValue(x, w);
        return;
      }
      const keys = Object.keys(v as object);
      w.byte(V_OBJECT);
      w.varint(keys.length);
      for (const k of keys) {
        stringCoder.encode(k, w, true);
        writeValue((v as Record<string, unknown>)[k], w);
      }
      return;
    }
    default:
      throw new SchemaError({
        code: "BL_UNENCODABLE_VALUE",
        value: typeof v,
        rule: "a value crossing between workers must be a number, string, boolean, bigint, Date, Uint8Array, array or plain object",
        fix: "turn it into one of those in the DoFn that emits it (functions, symbols and class instances with behaviour cannot travel)",
      });
  }
}

function readValue(r: ByteReader): unknown {
  const tag = r.byte();
  switch (tag) {
    case V_NULL: return null;
    case V_UNDEFINED: return undefined;
    case V_FALSE: return false;
    case V_TRUE: return true;
    case V_NUMBER: return r.double();
    case V_INT64: return BigInt.asIntN(64, r.varbig());
    case V_BIGINT: return BigInt(stringCoder.decode(r, true));
    case V_STRING: return stringCoder.decode(r, true);
    case V_BINARY: return bytesCoder.decode(r, true);
    case V_DATE: return new Date(r.double());
    case V_ARRAY: {
      const n = r.length();
      const out = new Array<unknown>(n);
      for (let i = 0; i < n; i++) out[i] = readValue(r);
      return out;
    }
    case V_OBJECT: {
      const n = r.length();
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) {
        const k = stringCoder.decode(r, true);
        out[k] = readValue(r);
      }
      return out;
    }
    default:
      throw malformedBytes("a value coder's tag byte names no value kind", tag);
  }
}

/** Beamline's self-describing value coder (self-delimiting in every context). */
export const valueCoder: Coder<unknown> = {
  urn: CODER_URNS.value,
  encode: (v, w) => writeValue(v, w),
  decode: (r) => readValue(r),
};

/** A coder as the Runner API describes it. */
export interface CoderProto {
  spec: { urn: string; payload?: Uint8Array };
  componentCoderIds?: string[];
}

/** A coder the runner names that the descriptor does not hold or Beamline's harness does not implement. */
export class UnknownCoderError extends RunnerProtocolError {}

/**
 * Builds the coder `id` from a map of coder protos (a pipeline's or a process bundle descriptor's),
 * caching built coders in `cache`.
 */
export function coderFromProto(id: string, coders: Record<string, CoderProto>, protos: Protos | null, cache = new Map<string, Coder>()): Coder {
  const hit = cache.get(id);
  if (hit) return hit;
  const c = coders[id];
  if (!c) throw new UnknownCoderError({ code: "BL_UNKNOWN_CODER", value: id, rule: "a coder id must name one of the descriptor's coders", fix: "see the runner's log: it referred to a coder it did not send" });
  const comp = (i: number) => coderFromProto(c.componentCoderIds![i], coders, protos, cache);
  let coder: Coder;
  switch (c.spec.urn) {
    case CODER_URNS.bytes: coder = bytesCoder; break;
    case CODER_URNS.stringUtf8: coder = stringCoder; break;
    case CODER_URNS.bool: coder = boolCoder; break;
    case CODER_URNS.varint: coder = varintCoder; break;
    case CODER_URNS.double: coder = doubleCoder; break;
    case CODER_URNS.globalWindow: coder = globalWindowCoder; break;
    case CODER_URNS.intervalWindow: coder = intervalWindowCoder; break;
    case CODER_URNS.kv: coder = kvCoder(comp(0), comp(1)); break;
    case CODER_URNS.iterable: coder = iterableCoder(comp(0)); break;
    case CODER_URNS.stateBackedIterable: coder = stateBackedIterableCoder(comp(0)); break;
    case CODER_URNS.lengthPrefix: coder = lengthPrefixCoder(comp(0)); break;
    case CODER_URNS.nullable: coder = nullableCoder(comp(0)); break;
    case CODER_URNS.shardedKey: coder = shardedKeyCoder(comp(0)); break;
    case CODER_URNS.windowedValue: coder = windowedValueCoder(comp(0), comp(1)); break;
    case CODER_URNS.paramWindowedValue: coder = paramWindowedValueCoder(comp(0), comp(1), c.spec.payload ?? new Uint8Array()); break;
    case CODER_URNS.timer: coder = timerCoder(comp(0), comp(1)); break;
    case CODER_URNS.value: coder = valueCoder; break;
    case CODER_URNS.row: {
      if (!protos) throw new InvariantError({ code: "BL_ROW_CODER_WITHOUT_PROTOS", value: id, rule: "a row coder was built without Beam's protos to read its schema" });
      coder = rowCoder(rowCodec(protos.decode("pipeline.Schema", c.spec.payload ?? new Uint8Array())));
      break;
    }
    default:
      throw new UnknownCoderError({ code: "BL_UNSUPPORTED_CODER", where: `coder ${id}`, value: c.spec.urn, rule: "Beamline's harness implements Beam's standard coders and its own value coder, not this one", fix: "run the transforms that need this coder in an environment of the SDK that defines it" });
  }
  cache.set(id, coder);
  return coder;
}

/** Encodes one value in the outer context. */
export function encodeOne<T>(coder: Coder<T>, value: T): Buffer {
  const w = new ByteWriter();
  coder.encode(value, w, false);
  return w.finish();
}
