/** The one Arrow-type codec: the graph's schemas and the direct runner's batch transfer both use it. */
import * as arrow from "apache-arrow";
import { GLOBAL_WINDOWS, SchemaError } from "beamline";
import { arrowSchemaFromJson, arrowSchemaToJson, typeFromJson, typeToJson } from "../../sdk/schema/arrow-type";
import { schemaFromJson, schemaToJson } from "../../sdk/schema";
import { decodeBatch, encodeBatch } from "../../runners/direct/data/batch-codec";

const field = (name: string, type: arrow.DataType) => new arrow.Field(name, type, true);

const everyType: arrow.DataType[] = [
  new arrow.Null(), new arrow.Bool(), new arrow.Utf8(), new arrow.LargeUtf8(), new arrow.Binary(), new arrow.LargeBinary(),
  new arrow.Float16(), new arrow.Float32(), new arrow.Float64(),
  new arrow.Int8(), new arrow.Uint16(), new arrow.Int32(), new arrow.Uint64(),
  new arrow.TimestampSecond("UTC"), new arrow.TimestampMillisecond(), new arrow.TimestampMicrosecond(), new arrow.TimestampNanosecond(),
  new arrow.DateDay(), new arrow.DateMillisecond(), new arrow.TimeSecond(), new arrow.TimeMicrosecond(), new arrow.DurationMillisecond(), new arrow.DurationNanosecond(),
  new arrow.Decimal(2, 10, 128), new arrow.FixedSizeBinary(16),
  new arrow.List(field("item", new arrow.Int64())), new arrow.LargeList(field("item", new arrow.Utf8())),
  new arrow.FixedSizeList(3, field("item", new arrow.Float32())),
  new arrow.Struct([field("a", new arrow.Bool()), new arrow.Field("b", new arrow.Utf8(), false, new Map([["z", "1"], ["a", "2"]]))]),
  new arrow.Map_(new arrow.Field("entries", new arrow.Struct<any>([new arrow.Field("key", new arrow.Utf8(), false), field("value", new arrow.Int32())]), false), true),
  new arrow.Dictionary(new arrow.Utf8(), new arrow.Int16(), 7, true),
];

describe("the Arrow-type codec", () => {
  it.each(everyType.map((t) => [String(t), t]))("round-trips %s through JSON as the same concrete type", (_name, type) => {
    const json = JSON.parse(JSON.stringify(typeToJson(type)));
    const back = typeFromJson(json);
    expect(back.constructor).toBe(type.constructor);
    expect(arrow.util.compareTypes(back, type)).toBe(true);
    expect(typeToJson(back)).toEqual(json);
  });

  it("writes metadata sorted by key, so equal schemas give equal JSON", () => {
    const a = new arrow.Schema([field("x", new arrow.Int32())], new Map([["z", "1"], ["a", "2"]]));
    const b = new arrow.Schema([field("x", new arrow.Int32())], new Map([["a", "2"], ["z", "1"]]));
    expect(JSON.stringify(arrowSchemaToJson(a))).toBe(JSON.stringify(arrowSchemaToJson(b)));
    expect([...arrowSchemaFromJson(arrowSchemaToJson(a)).metadata.keys()]).toEqual(["a", "z"]);
  });

  it("refuses a type it cannot describe with a SchemaError naming the type", () => {
    const union = new arrow.DenseUnion([0], [field("a", new arrow.Int32())]);
    let err: unknown;
    try {
      typeToJson(union);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SchemaError);
    expect((err as SchemaError).code).toBe("BL_ARROW_TYPE_UNSUPPORTED");
  });

  it("is the form of the graph's schemas and of batches crossing threads alike", () => {
    const s = new arrow.Schema([field("n", new arrow.Int64()), field("tags", new arrow.List(field("item", new arrow.Utf8())))]);
    const graphForm = schemaToJson(s);
    expect(graphForm).toEqual(arrowSchemaToJson(s));
    const columns = [arrow.vectorFromArray([1n, 2n], new arrow.Int64()), arrow.vectorFromArray([["a"], []], s.fields[1].type)];
    const data = new arrow.RecordBatch(s, arrow.makeData({ type: new arrow.Struct(s.fields), length: 2, nullCount: 0, children: columns.map((c) => c.data[0]) }));
    const { message } = encodeBatch({ data, timestamps: new Float64Array(2), windows: GLOBAL_WINDOWS }, false);
    expect(message.schema).toEqual(graphForm);
    expect(arrow.util.compareSchemas(decodeBatch(message).data.schema, schemaFromJson(graphForm))).toBe(true);
  });

  it("leaves the narrower set of schema types to schemaToJson", () => {
    const s = new arrow.Schema([field("d", new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32()))]);
    expect(() => arrowSchemaToJson(s)).not.toThrow();
    expect(() => schemaToJson(s)).toThrow(expect.objectContaining({ code: "BL_SCHEMA_UNSUPPORTED_TYPE" }));
  });
});
