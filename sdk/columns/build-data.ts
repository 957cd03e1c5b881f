/** Building a column from JavaScript values: the writer for each type, lists and structs writing their children. */
import * as arrow from "apache-arrow";
import { SchemaError } from "../errors";
import { describeType, suggestFieldType } from "../schema";
import type { ValueReader } from "./plain-values";
import { Validity } from "./validity";
import { writeBinary } from "./write-binary";
import { writeBool } from "./write-bool";
import { kindName, mismatch, type WriteContext } from "./write-context";
import { writeFloat, writeInt64, writeSmallInt } from "./write-numbers";
import { writeUtf8 } from "./write-utf8";
import { writeWithBuilder } from "./write-with-builder";

function isStructValue(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date)
    && !ArrayBuffer.isView(v) && !(v instanceof Map) && !(v instanceof Set);
}

function upperBound(offsets: Int32Array, x: number): number {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid] <= x) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function writeList(type: arrow.List, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const offsets = new Int32Array(n + 1);
  const items: unknown[] = [];
  const valid = new Validity(n);
  const bits = valid.bits;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (Array.isArray(v)) {
      for (let j = 0; j < v.length; j++) items.push(v[j]);
      bits[i >> 3] |= 1 << (i & 7);
    } else if (v === null || v === undefined) valid.nulls++;
    else throw mismatch(ctx, i, type, v);
    offsets[i + 1] = items.length;
  }
  const child = buildData(type.children[0].type, items.length, (j) => items[j], {
    where: ctx.where,
    path: `${ctx.path}[]`,
    rowOf: (j) => ctx.rowOf(upperBound(offsets, j) - 1),
    expected: ctx.expected,
  });
  return arrow.makeData({ type, length: n, nullCount: valid.nulls, nullBitmap: valid.bitmap, valueOffsets: offsets, child });
}

/** @internal Validates struct values (or top-level rows) and builds the child columns. */
export function writeStructChildren(
  fields: readonly arrow.Field[], n: number, get: ValueReader, ctx: WriteContext, topLevel: boolean,
): { children: arrow.Data[]; validity: Validity } {
  const names = fields.map((f) => f.name);
  const known: Record<string, true> = Object.create(null);
  for (const name of names) known[name] = true;
  const objects = new Array<Record<string, unknown> | null>(n);
  const valid = new Validity(n);
  const bits = valid.bits;
  for (let i = 0; i < n; i++) {
    const v = get(i);
    if (isStructValue(v)) {
      for (const k in v) {
        if (known[k] !== true && v[k] !== undefined) throw unknownField(ctx, i, k, v, names, topLevel);
      }
      objects[i] = v;
      bits[i >> 3] |= 1 << (i & 7);
    } else if (!topLevel && (v === null || v === undefined)) {
      objects[i] = null;
      valid.nulls++;
    } else if (topLevel) {
      throw new SchemaError({
        code: "BL_SCHEMA_MISMATCH",
        where: ctx.where,
        value: v,
        rule: `row ${ctx.rowOf(i)} must be an object with the fields ${ctx.expected ?? describeFields(fields)}, got ${kindName(v)}`,
        fix: "emit one object per row with those fields, or declare a scalar schema for bare values, e.g. scalarSchema(" + suggestFieldType(v) + ")",
      });
    } else {
      throw mismatch(ctx, i, new arrow.Struct(fields as arrow.Field[]), v);
    }
  }
  const children = fields.map((f) => buildData(f.type, n, (i) => {
    const o = objects[i];
    return o === null ? null : o[f.name];
  }, { where: ctx.where, path: ctx.path ? `${ctx.path}.${f.name}` : f.name, rowOf: ctx.rowOf, expected: ctx.expected, keepStrings: ctx.keepStrings }));
  return { children, validity: valid };
}

function describeFields(fields: readonly arrow.Field[]): string {
  return describeType(new arrow.Struct(fields as arrow.Field[]));
}

function unknownField(ctx: WriteContext, i: number, key: string, v: unknown, names: string[], topLevel: boolean): SchemaError {
  const where = topLevel ? `row ${ctx.rowOf(i)}` : `row ${ctx.rowOf(i)}, field "${ctx.path}"`;
  const schemaText = ctx.expected ?? `{${names.join(", ")}}`;
  return new SchemaError({
    code: "BL_SCHEMA_UNKNOWN_FIELD",
    where: ctx.where,
    value: v,
    rule: `${where} has a field "${key}" that is not in the schema ${schemaText}`,
    fix: `add "${key}" to the schema (e.g. ${key}: ${suggestFieldType((v as Record<string, unknown>)[key])}), or drop it from the row`,
  });
}

function writeStruct(type: arrow.Struct, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  const { children, validity } = writeStructChildren(type.children, n, get, ctx, false);
  return arrow.makeData({ type, length: n, nullCount: validity.nulls, nullBitmap: validity.bitmap, children });
}

/** @internal Builds one Data chunk of `type` from `n` values read through `get`, validating each. */
export function buildData(type: arrow.DataType, n: number, get: ValueReader, ctx: WriteContext): arrow.Data {
  switch (type.typeId) {
    case arrow.Type.Float:
      if ((type as arrow.Float).precision !== arrow.Precision.HALF) return writeFloat(type as arrow.Float, n, get, ctx);
      break;
    case arrow.Type.Int:
      return (type as arrow.Int).bitWidth === 64 ? writeInt64(type as arrow.Int, n, get, ctx) : writeSmallInt(type as arrow.Int, n, get, ctx);
    case arrow.Type.Timestamp:
      if ((type as arrow.Timestamp).unit === arrow.TimeUnit.MILLISECOND) return writeInt64(type as arrow.Timestamp, n, get, ctx);
      break;
    case arrow.Type.Bool: return writeBool(type as arrow.Bool, n, get, ctx);
    case arrow.Type.Utf8: return writeUtf8(type as arrow.Utf8, n, get, ctx);
    case arrow.Type.Binary: return writeBinary(type as arrow.Binary, n, get, ctx);
    case arrow.Type.List: return writeList(type as arrow.List, n, get, ctx);
    case arrow.Type.Struct: return writeStruct(type as arrow.Struct, n, get, ctx);
    case arrow.Type.Null:
      for (let i = 0; i < n; i++) {
        const v = get(i);
        if (v !== null && v !== undefined) throw mismatch(ctx, i, type, v);
      }
      return arrow.makeData({ type: type as arrow.Null, length: n });
    default:
      break;
  }
  return writeWithBuilder(type, n, get, ctx);
}

/** Builds a single-chunk vector of `type` from JavaScript values (null/undefined → null), validating each value. */
export function vectorFromValues(values: readonly unknown[], type: arrow.DataType, where = "vectorFromValues"): arrow.Vector {
  const data = buildData(type, values.length, (i) => values[i], { where, path: "", rowOf: (i) => i });
  return arrow.makeVector(data);
}
