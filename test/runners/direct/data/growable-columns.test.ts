import { GrowableColumn } from "../../../../runners/direct/data/growable-columns";

describe("GrowableColumn", () => {
  it("keeps every pushed value as it grows past its first capacity", () => {
    const c = new GrowableColumn(new Float64Array(4));
    for (let i = 0; i < 100; i++) c.push(i * 1.5);
    expect(c.length).toBe(100);
    expect(c.data).toBeInstanceOf(Float64Array);
    expect(Array.from(c.data.subarray(0, 100))).toEqual(Array.from({ length: 100 }, (_, i) => i * 1.5));
  });

  it("grows to any index set, keeps the values before it, and counts its length from the highest index", () => {
    const c = new GrowableColumn(new Int32Array(2));
    c.set(1, 7);
    c.set(40, -3);
    expect(c.data).toBeInstanceOf(Int32Array);
    expect(c.data.length).toBeGreaterThan(40);
    expect([c.data[1], c.data[40], c.length]).toEqual([7, -3, 41]);
    c.set(5, 9); // below the length: the length stays
    expect(c.length).toBe(41);
    c.push(11);
    expect([c.data[41], c.length]).toEqual([11, 42]);
  });

  it("makes an index writable through data without writing it", () => {
    const c = new GrowableColumn(new Uint8Array(1));
    c.reserve(9);
    c.data[9] = 200;
    expect([c.data[9], c.length]).toEqual([200, 10]);
  });
});
