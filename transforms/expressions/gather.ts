/** The kernel behind coalesce and when: each row taken from one of several columns. */
import { copyBytes } from "./bytes";
import { asBool, asNum, asStr, type Col, type NumCol } from "./evaluated";

/** Row i of the result is row i of `cols[src[i]]` (null where src[i] is -1 or out of range). */
export function gather(cols: Col[], src: Int32Array, n: number): Col {
  const kinds = new Set(cols.filter((c) => c.k !== "null").map((c) => c.k));
  const kind = kinds.size ? [...kinds][0] : "null";
  if (kind === "null") return { k: "null" };
  const valid = new Uint8Array(n);
  const m = cols.length;
  if (kind === "str") {
    const ss = cols.map((c) => asStr(c, n));
    const off = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const j = src[i];
      if (j >= 0 && j < m && (ss[j].valid === null || ss[j].valid![i])) {
        const o = ss[j].off;
        total += o ? o[i + 1] - o[i] : ss[j].bytes.length;
        valid[i] = 1;
      }
      off[i + 1] = total;
    }
    const bytes = new Uint8Array(total);
    for (let i = 0; i < n; i++) {
      if (!valid[i]) continue;
      const c = ss[src[i]];
      const o = c.off;
      const s = o ? o[i] : 0;
      const e = o ? o[i + 1] : c.bytes.length;
      copyBytes(c.bytes, s, e, bytes, off[i]);
    }
    return { k: "str", off, bytes, valid };
  }
  if (kind === "bool") {
    const bs = cols.map((c) => asBool(c, n));
    const v = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const j = src[i];
      if (j >= 0 && j < m && (bs[j].valid === null || bs[j].valid![i])) { v[i] = bs[j].v[i]; valid[i] = 1; }
    }
    return { k: "bool", v, valid };
  }
  const ns = cols.map((c) => asNum(c, n));
  const numCats = cols.filter((c): c is NumCol => c.k === "num").map((c) => c.cat);
  const cat = numCats.includes("ts") ? "ts" : numCats.includes("float") ? "float" : "int";
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const j = src[i];
    if (j >= 0 && j < m && (ns[j].valid === null || ns[j].valid![i])) { v[i] = ns[j].v[i]; valid[i] = 1; }
  }
  return { k: "num", cat, v, valid };
}
