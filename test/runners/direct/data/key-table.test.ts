import { KeyTable } from "../../../../runners/direct/data/key-table";
import type { KeyPrimitive } from "../../../../runners/direct/data/keys";
import { rng } from "../../../helpers";

describe("KeyTable", () => {
  it("agrees with a Map under random adds and deletes of integers, floats, strings and the rest", () => {
    const random = rng(7);
    const table = new KeyTable();
    const model = new Map<KeyPrimitive, number>();
    const pick = (): KeyPrimitive => {
      const r = random();
      if (r < 0.6) return Math.floor(random() * 3000) - 1000; // collide often, negatives included
      if (r < 0.7) return 2 ** 31 + Math.floor(random() * 10); // beyond int32
      if (r < 0.8) return Math.floor(random() * 50) / 4;
      if (r < 0.9) return `k${Math.floor(random() * 200)}`;
      return [null, true, false, NaN, -0, 0][Math.floor(random() * 6)];
    };
    let next = 0;
    for (let step = 0; step < 60000; step++) {
      const k = pick();
      const op = random();
      if (op < 0.55) {
        if (!model.has(k)) {
          model.set(k, next);
          table.add(k, next++);
        }
      } else if (op < 0.85) {
        model.delete(k);
        table.delete(k);
      } else {
        expect(table.get(k)).toBe(model.get(k) ?? -1);
      }
      expect(table.size).toBe(model.size);
    }
    for (const [k, id] of model) expect(table.get(k)).toBe(id);
    expect(table.get(123456789)).toBe(-1);
  });

  it("treats 0 and -0 as one key and finds NaN, as a Map does", () => {
    const table = new KeyTable();
    table.add(-0, 4);
    table.add(NaN, 5);
    expect(table.get(0)).toBe(4);
    expect(table.get(NaN)).toBe(5);
    table.delete(0);
    expect(table.get(-0)).toBe(-1);
    expect(table.size).toBe(1);
  });

  it("keeps every key through growth and deletion of most of them", () => {
    const table = new KeyTable();
    for (let k = 0; k < 100000; k++) table.add(k * 7919, k);
    for (let k = 0; k < 100000; k += 3) table.delete(k * 7919);
    const wrong: number[] = [];
    for (let k = 0; k < 100000; k++) if (table.get(k * 7919) !== (k % 3 === 0 ? -1 : k)) wrong.push(k);
    expect(wrong).toEqual([]);
    expect(table.size).toBe(100000 - 33334);
  });

  it("finds string keys by their UTF-8 bytes as by the strings, through deletes that compact its storage", () => {
    const table = new KeyTable();
    const key = (i: number) => `clé-${i}-ü€😀-${"x".repeat(i % 17)}`;
    const n = 60000;
    for (let i = 0; i < n; i++) {
      const bytes = Buffer.from(`..${key(i)}..`);
      table.addUtf8(bytes, 2, bytes.length - 2, i);
    }
    for (let i = 0; i < n; i++) if (i % 4 !== 0) table.delete(key(i));
    const wrong: number[] = [];
    for (let i = 0; i < n; i++) {
      const bytes = Buffer.from(key(i));
      const want = i % 4 === 0 ? i : -1;
      if (table.get(key(i)) !== want || table.getUtf8(bytes, 0, bytes.length) !== want) wrong.push(i);
    }
    expect(wrong).toEqual([]);
    expect(table.size).toBe(n / 4);
    table.add("", 7);
    expect(table.getUtf8(new Uint8Array(0), 0, 0)).toBe(7);
    table.add(3, 1);
    table.add(0.5, 2);
    table.clear();
    expect(table.size).toBe(0);
    expect([table.get(key(0)), table.get(""), table.get(3), table.get(0.5)]).toEqual([-1, -1, -1, -1]);
    table.add(key(0), 9);
    expect(table.get(key(0))).toBe(9);
  });
});
