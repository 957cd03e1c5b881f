/**
 * Beam's row coder (`beam:coder:row:v1`): rows of a Beam schema, encoded as a field count, a null
 * bitmap and the non-null fields in encoding order, each with the nested encoding of its type.
 */
import { SchemaError } from "../../../sdk/errors";
import { RunnerProtocolError } from "../model/errors";
import { ByteReader, ByteWriter, malformedBytes, readTimestamp, writeTimestamp } from "./wire";

/** A Beam `FieldType` proto as decoded (camelCase, oneofs named by `typeInfo`). */
export interface BeamFieldType {
  nullable?: boolean;
  typeInfo?: string;
  atomicType?: string;
  arrayType?: { elementType: BeamFieldType };
  iterableType?: { elementType: BeamFieldType };
  mapType?: { keyType: BeamFieldType; valueType: BeamFieldType };
  rowType?: { schema: BeamSchema };
  logicalType?: { urn: string; representation: BeamFieldType; payload?: Uint8Array };
}

/** A Beam `Schema` proto as decoded. */
export interface BeamSchema {
  fields: { name: string; type: BeamFieldType; encodingPosition?: number }[];
  id?: string;
  encodingPositionsSet?: boolean;
}

/** Instants in ms: Beamline's Arrow timestamps travel as this logical type. */
export const MILLIS_INSTANT = "beam:logical_type:millis_instant:v1";
/** Arbitrary-precision decimals (scale, then the unscaled value's two's-complement bytes). */
export const DECIMAL = "beam:logical_type:decimal:v1";

function writeDecimal(s: string, w: ByteWriter): void {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(s.trim());
  if (!m) throw new SchemaError({ code: "BL_NOT_A_DECIMAL", value: s, rule: "a decimal field holds digits with an optional sign and decimal point", fix: "write decimals as strings such as \"-12.50\" (or numbers)" });
  const frac = m[3] ?? "";
  let unscaled = BigInt(`${m[2] || "0"}${frac}`);
  if (m[1]) unscaled = -unscaled;
  w.varint(frac.length);
  // Minimal big-endian two's complement, as Java's BigInteger.toByteArray.
  const bytes: number[] = [];
  let v = unscaled;
  for (;;) {
    bytes.unshift(Number(BigInt.asUintN(8, v)));
    v >>= 8n;
    if ((v === 0n && (bytes[0] & 0x80) === 0) || (v === -1n && (bytes[0] & 0x80) !== 0)) break;
  }
  w.varint(bytes.length);
  w.bytes(Uint8Array.from(bytes));
}

function readDecimal(r: ByteReader): string {
  const scale = r.length();
  const b = r.bytes(r.length());
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  if (b.length > 0 && b[0] & 0x80) v -= 1n << BigInt(8 * b.length);
  const neg = v < 0n;
  let digits = (neg ? -v : v).toString().padStart(scale + 1, "0");
  if (scale > 0) digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return neg ? `-${digits}` : digits;
}

interface FieldCodec {
  write(v: unknown, w: ByteWriter): void;
  read(r: ByteReader): unknown;
}

/** A schema compiled into field codecs. */
export interface RowCodec {
  readonly names: readonly string[];
  readonly fields: readonly FieldCodec[];
  /** Field indices in encoding order. */
  readonly order: readonly number[];
}

function toBigInt(v: unknown): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(Math.trunc(v));
  if (v instanceof Date) return BigInt(v.getTime());
  throw new SchemaError({ code: "BL_NOT_AN_INTEGER", value: v, rule: `an integer field holds a number, bigint or Date, not a ${typeof v}`, fix: "convert the field to a number or bigint before it reaches a schema'd PCollection" });
}

function atomic(t: string): FieldCodec {
  switch (t) {
    case "BYTE":
      return { write: (v, w) => w.byte(Number(v)), read: (r) => (r.byte() << 24) >> 24 };
    case "INT16":
      return { write: (v, w) => w.int16(Number(v)), read: (r) => r.int16() };
    case "INT32":
      return { write: (v, w) => w.varint(BigInt.asUintN(32, toBigInt(v))), read: (r) => Number(BigInt.asIntN(32, r.varbig())) };
    case "INT64":
      return { write: (v, w) => w.varint(toBigInt(v)), read: (r) => r.varint() };
    case "FLOAT":
      return { write: (v, w) => w.float(Number(v)), read: (r) => r.float() };
    case "DOUBLE":
      return { write: (v, w) => w.double(Number(v)), read: (r) => r.double() };
    case "STRING":
      return {
        write(v, w) {
          const b = Buffer.from(String(v), "utf8");
          w.varint(b.length);
          w.bytes(b);
        },
        read: (r) => r.bytes(r.length()).toString("utf8"),
      };
    case "BOOLEAN":
      return { write: (v, w) => w.byte(v ? 1 : 0), read: (r) => r.byte() !== 0 };
    case "BYTES":
      return {
        write(v, w) {
          const b = v as Uint8Array;
          w.varint(b.length);
          w.bytes(b);
        },
        read: (r) => Buffer.from(r.bytes(r.length())),
      };
    default:
      throw unsupportedSchemaType(t);
  }
}

function nullable(inner: FieldCodec): FieldCodec {
  return {
    write(v, w) {
      if (v === null || v === undefined) w.byte(0);
      else {
        w.byte(1);
        inner.write(v, w);
      }
    },
    read: (r) => (r.byte() === 0 ? null : inner.read(r)),
  };
}

/** The codec of a value of `t` inside a row (nullability handled by the row's bitmap). */
function fieldCodec(t: BeamFieldType): FieldCodec {
  const kind = t.typeInfo ?? (t.atomicType ? "atomicType" : t.arrayType ? "arrayType" : t.iterableType ? "iterableType" : t.mapType ? "mapType" : t.rowType ? "rowType" : "logicalType");
  switch (kind) {
    case "atomicType":
      return atomic(t.atomicType!);
    case "arrayType":
    case "iterableType": {
      const et = (t.arrayType ?? t.iterableType)!.elementType;
      const e = et.nullable ? nullable(fieldCodec(et)) : fieldCodec(et);
      return {
        write(v, w) {
          const xs = v as unknown[];
          w.int32(xs.length);
          for (const x of xs) e.write(x, w);
        },
        read(r) {
          const n = r.int32();
          const out: unknown[] = [];
          if (n >= 0) for (let i = 0; i < n; i++) out.push(e.read(r));
          else for (let c = r.length(); c > 0; c = r.length()) for (let i = 0; i < c; i++) out.push(e.read(r));
          return out;
        },
      };
    }
    case "mapType": {
      const kt = t.mapType!.keyType;
      const vt = t.mapType!.valueType;
      const k = kt.nullable ? nullable(fieldCodec(kt)) : fieldCodec(kt);
      const v = vt.nullable ? nullable(fieldCodec(vt)) : fieldCodec(vt);
      return {
        write(m, w) {
          const entries = m instanceof Map ? [...m.entries()] : Object.entries(m as object);
          w.int32(entries.length);
          for (const [a, b] of entries) {
            k.write(a, w);
            v.write(b, w);
          }
        },
        read(r) {
          const n = r.int32();
          const out = new Map<unknown, unknown>();
          for (let i = 0; i < n; i++) {
            const a = k.read(r);
            out.set(a, v.read(r));
          }
          return out;
        },
      };
    }
    case "rowType": {
      const codec = rowCodec(t.rowType!.schema);
      return { write: (v, w) => encodeRow(codec, v as Record<string, unknown>, w), read: (r) => decodeRow(codec, r) };
    }
    case "logicalType":
      switch (t.logicalType!.urn) {
        case MILLIS_INSTANT:
          return { write: (v, w) => writeTimestamp(w, v instanceof Date ? v.getTime() : Number(v)), read: (r) => readTimestamp(r) };
        case DECIMAL:
          return { write: (v, w) => writeDecimal(String(v), w), read: readDecimal };
        default:
          return fieldCodec(t.logicalType!.representation);
      }
    default:
      throw unsupportedSchemaType(kind);
  }
}

/** Compiles a Beam schema into a row codec. */
export function rowCodec(schema: BeamSchema): RowCodec {
  const fields = schema.fields.map((f) => fieldCodec(f.type));
  const order = schema.fields.map((_, i) => i);
  if (schema.encodingPositionsSet) order.sort((a, b) => (schema.fields[a].encodingPosition ?? a) - (schema.fields[b].encodingPosition ?? b));
  return { names: schema.fields.map((f) => f.name), fields, order };
}

/** Encodes a row (an object with one key per field; a Map or array is accepted for positional rows). */
export function encodeRow(codec: RowCodec, row: Record<string, unknown>, w: ByteWriter): void {
  const n = codec.names.length;
  const values = Array.isArray(row) ? row : codec.names.map((name) => row[name]);
  w.varint(n);
  let last = -1;
  for (let k = 0; k < n; k++) if (values[codec.order[k]] === null || values[codec.order[k]] === undefined) last = k;
  const bitmap = new Uint8Array(last < 0 ? 0 : (last >> 3) + 1);
  for (let k = 0; k <= last; k++) if (values[codec.order[k]] === null || values[codec.order[k]] === undefined) bitmap[k >> 3] |= 1 << (k & 7);
  w.varint(bitmap.length);
  w.bytes(bitmap);
  for (let k = 0; k < n; k++) {
    const i = codec.order[k];
    const v = values[i];
    if (v !== null && v !== undefined) codec.fields[i].write(v, w);
  }
}

/** Decodes a row into an object with one key per field, in schema order. */
export function decodeRow(codec: RowCodec, r: ByteReader): Record<string, unknown> {
  const encoded = r.length();
  const bitmap = r.bytes(r.length());
  const out: Record<string, unknown> = {};
  const values = new Array<unknown>(codec.names.length).fill(null);
  for (let k = 0; k < encoded; k++) {
    const isNull = (k >> 3) < bitmap.length && (bitmap[k >> 3] & (1 << (k & 7))) !== 0;
    if (k >= codec.names.length) throw malformedBytes(`an encoded row has more fields than its schema's ${codec.names.length}`, encoded);
    const i = codec.order[k];
    if (!isNull) values[i] = codec.fields[i].read(r);
  }
  for (let i = 0; i < codec.names.length; i++) out[codec.names[i]] = values[i];
  return out;
}

/** A Beam schema field type the row coder does not implement (as a schema from another SDK may hold). */
function unsupportedSchemaType(type: unknown): RunnerProtocolError {
  return new RunnerProtocolError({
    code: "BL_UNSUPPORTED_SCHEMA_TYPE",
    value: type,
    rule: "Beamline's row coder implements Beam's atomic types, arrays, iterables, maps, nested rows, millis instants and decimals",
    fix: "convert the field to one of those in the SDK that produces it",
  });
}
