import { deadLetterSchema, GLOBAL_WINDOW, recordBatchToRows, rowsToRecordBatch } from "beamline";
import { elementDeadLetter, elementJson, recordDeadLetter, windowText } from "../../sdk/dead-letter";

describe("the dead-letter schema", () => {
  test("an element's dead letter carries the element as JSON, the error's name, message and first frames, event time, window and attempts", () => {
    const err = new TypeError("no price");
    const d = elementDeadLetter("Parse", { id: 7n, tags: new Uint8Array([1, 2]) }, err, 3, Date.UTC(2024, 0, 1), { start: Date.UTC(2024, 0, 1), end: Date.UTC(2024, 0, 1, 0, 1), global: false });
    expect(d).toMatchObject({ transform: "Parse", element: '{"id":"7","tags":[1,2]}', raw: null, errorName: "TypeError", message: "no price", attempts: 3 });
    expect(d.window).toBe("[2024-01-01T00:00:00.000Z, 2024-01-01T00:01:00.000Z)");
    expect(d.stack!.split("\n").length).toBeGreaterThan(0);
    expect(d.stack!.split("\n").length).toBeLessThanOrEqual(5);
    expect(d.stack!.startsWith("at ")).toBe(true);
    expect([d.file, d.line, d.topic, d.partition, d.offset]).toEqual([null, null, null, null, null]);
  });

  test("a thrown non-Error and an element JSON cannot render are still described", () => {
    const cyclic: any = {};
    cyclic.self = cyclic;
    const d = elementDeadLetter("T", cyclic, "plain string", 1, 0, GLOBAL_WINDOW);
    expect(d).toMatchObject({ element: "[object Object]", errorName: "string", message: "plain string", stack: null, window: "global" });
    expect(elementJson(undefined)).toBe("undefined");
    expect(windowText(GLOBAL_WINDOW)).toBe("global");
  });

  test("a source's record keeps its raw bytes and origin, and rows of both kinds fit the one schema", () => {
    const file = recordDeadLetter("ReadCsv", { file: "/in/a.csv", line: 4 }, "4,x", "IOError", "bad number");
    const kafka = recordDeadLetter("ReadKafka", { topic: "t", partition: 2, offset: 99 }, new Uint8Array([0xff, 0x41]), "SchemaError", "not JSON");
    expect(Buffer.from(file.raw!).toString()).toBe("4,x");
    expect(file.element).toBe('"4,x"');
    const rows = recordBatchToRows(rowsToRecordBatch([file, kafka, elementDeadLetter("M", 1, new Error("x"), 2, 5, GLOBAL_WINDOW)], deadLetterSchema.arrow, "test")) as any[];
    expect(rows.map((r) => [r.transform, r.file, r.line, r.topic, r.partition, r.offset, r.attempts, r.eventTime])).toEqual([
      ["ReadCsv", "/in/a.csv", 4, null, null, null, 1, null],
      ["ReadKafka", null, null, "t", 2, 99, 1, null],
      ["M", null, null, null, null, null, 2, 5],
    ]);
    expect(Array.from(rows[1].raw)).toEqual([0xff, 0x41]);
  });
});
