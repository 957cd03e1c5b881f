/**
 * Arrow schemas as Beam schemas (for the row coder): utf8 → STRING, bool → BOOLEAN, int8/16/32/64 →
 * BYTE/INT16/INT32/INT64, float32/64 → FLOAT/DOUBLE, binary → BYTES, timestamps → millis_instant,
 * lists → ARRAY, structs → ROW. Other types have no Beam counterpart here: such PCollections travel
 * with Beamline's value coder instead.
 */
import * as arrow from "apache-arrow";
import { createHash } from "node:crypto";
import { MILLIS_INSTANT } from "./rowcoder";
import type { BeamFieldType, BeamSchema } from "./rowcoder";

/** The Beam field type of an Arrow type (nullable as given), or null when there is none. */
export function beamFieldType(type: arrow.DataType, nullable: boolean): BeamFieldType | null {
  const atomic = (a: string): BeamFieldType => ({ nullable, atomicType: a });
  if (arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type)) return atomic("STRING");
  if (arrow.DataType.isBool(type)) return atomic("BOOLEAN");
  if (arrow.DataType.isBinary(type)) return atomic("BYTES");
  if (arrow.DataType.isInt(type)) {
    if (!type.isSigned) return type.bitWidth <= 16 ? atomic("INT32") : type.bitWidth === 32 ? atomic("INT64") : null;
    return atomic(({ 8: "BYTE", 16: "INT16", 32: "INT32", 64: "INT64" } as Record<number, string>)[type.bitWidth]);
  }
  if (arrow.DataType.isFloat(type)) {
    if (type.precision === arrow.Precision.SINGLE) return atomic("FLOAT");
    if (type.precision === arrow.Precision.DOUBLE) return atomic("DOUBLE");
    return null;
  }
  if (arrow.DataType.isTimestamp(type) && type.unit === arrow.TimeUnit.MILLISECOND) {
    return { nullable, logicalType: { urn: MILLIS_INSTANT, representation: { atomicType: "INT64" } } };
  }
  if (arrow.DataType.isList(type)) {
    const item = beamFieldType(type.children[0].type, type.children[0].nullable);
    return item ? { nullable, arrayType: { elementType: item } } : null;
  }
  if (arrow.DataType.isStruct(type)) {
    const s = fieldsSchema(type.children);
    return s ? { nullable, rowType: { schema: s } } : null;
  }
  return null;
}

function fieldsSchema(fields: readonly arrow.Field[]): BeamSchema | null {
  const out: BeamSchema["fields"] = [];
  for (const f of fields) {
    const t = beamFieldType(f.type, f.nullable);
    if (!t) return null;
    out.push({ name: f.name, type: t });
  }
  // A deterministic id: equal schemas, equal ids (Beam uses the id to cache schema coders). Java reads
  // it as a UUID, so it has a UUID's form.
  const hex = createHash("sha256").update(JSON.stringify(out)).digest("hex");
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return { fields: out, id };
}

/** The Beam schema of an Arrow schema, or null when a field's type has no Beam counterpart. */
export function arrowToBeamSchema(schema: arrow.Schema, _where: string): BeamSchema | null {
  return fieldsSchema(schema.fields);
}
