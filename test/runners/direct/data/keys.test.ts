import * as arrow from "apache-arrow";
import { valueReader } from "../../../../sdk/columns";
import { encodeKeys, int32Keys, utf8KeyAt, utf8Keys } from "../../../../runners/direct/data/keys";

/** The keys encodeKeys gives, and what reading each value gives, for a vector. */
function both(vec: arrow.Vector): { keys: unknown[]; read: unknown[] } {
  const read = valueReader(vec);
  return { keys: encodeKeys([vec], vec.length), read: Array.from({ length: vec.length }, (_, i) => read(i)) };
}

describe("encodeKeys of numeric columns", () => {
  test.each([
    ["int32", new arrow.Int32(), [5, -3, 0, 2 ** 31 - 1, -(2 ** 31), 5]],
    ["uint8", new arrow.Uint8(), [0, 255, 7]],
    ["uint32", new arrow.Uint32(), [0, 2 ** 32 - 1, 12]],
    ["float64", new arrow.Float64(), [1.5, -0, NaN, Infinity, 1e300]],
    ["float32", new arrow.Float32(), [1.5, -2.25, 0]],
  ])("%s: the values themselves, also for a slice", (_name, type, values) => {
    const vec = arrow.vectorFromArray(values, type as arrow.DataType);
    const whole = both(vec);
    expect(whole.keys).toEqual(whole.read);
    const part = both(vec.slice(1, values.length - 1));
    expect(part.keys).toEqual(part.read);
    expect(part.keys).toEqual(values.slice(1, values.length - 1).map((v) => (type instanceof arrow.Float32 ? Math.fround(v) : v)));
  });

  test("nulls, several chunks and half floats still go through the general path", () => {
    const withNull = arrow.vectorFromArray([1, null, 3], new arrow.Int32());
    expect(encodeKeys([withNull], 3)).toEqual([1, "\u0000null", 3]);
    const chunks = arrow.vectorFromArray([1, 2], new arrow.Int32()).concat(arrow.vectorFromArray([3], new arrow.Int32()));
    expect(encodeKeys([chunks], 3)).toEqual([1, 2, 3]);
    const half = arrow.vectorFromArray([1.5, -2], new arrow.Float16());
    expect(encodeKeys([half], 2)).toEqual([1.5, -2]);
  });

  test("one null-free int32 or utf8 column gives its values or bytes, which stand for the keys encodeKeys gives, also for a slice", () => {
    const ints = arrow.vectorFromArray([5, -7, 5, 2 ** 31 - 1], new arrow.Int32());
    expect([...int32Keys([ints], 4)!]).toEqual(encodeKeys([ints], 4));
    const intSlice = ints.slice(1, 3);
    expect([...int32Keys([intSlice], 2)!]).toEqual(encodeKeys([intSlice], 2));
    const words = arrow.vectorFromArray(["a", "été", "", "a"], new arrow.Utf8());
    for (const vec of [words, words.slice(1, 4)]) {
      const utf8 = utf8Keys([vec], vec.length)!;
      expect(Array.from({ length: vec.length }, (_, i) => utf8KeyAt(utf8, i))).toEqual(encodeKeys([vec], vec.length));
    }
    expect(int32Keys([arrow.vectorFromArray([1, null], new arrow.Int32())], 2)).toBeNull();
    expect(utf8Keys([arrow.vectorFromArray(["a", null], new arrow.Utf8())], 2)).toBeNull();
    expect(int32Keys([ints, ints], 4)).toBeNull();
  });
});
