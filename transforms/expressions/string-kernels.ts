/** The string kernels: length, lower, upper, contains, startsWith, concat. */
import { bufferOf, copyBytes } from "./bytes";
import { andMask, type Col, type Mask, type StrCol } from "./evaluated";
import { StrBuilder } from "./str-builder";

/** Unicode code points per row: UTF-8 bytes that are not continuation bytes. */
export function utf8Length(a: StrCol, n: number): Col {
  const v = new Float64Array(n);
  const bytes = a.bytes;
  const o = a.off;
  if (o === null) {
    let len = 0;
    for (let b = 0; b < bytes.length; b++) if ((bytes[b] & 0xc0) !== 0x80) len++;
    v.fill(len);
  } else {
    for (let i = 0; i < n; i++) {
      let len = 0;
      for (let b = o[i], e = o[i + 1]; b < e; b++) if ((bytes[b] & 0xc0) !== 0x80) len++;
      v[i] = len;
    }
  }
  return { k: "num", cat: "int", v, valid: a.valid };
}

/** @internal Lower or upper case per row: ASCII in place on the bytes, anything else through JavaScript's case mapping. */
export function changeCase(a: StrCol, upper: boolean, n: number): Col {
  const src = a.bytes;
  const srcBuf = bufferOf(src);
  const o = a.off;
  const out = new StrBuilder(n, o ? o[n] - o[0] : src.length * n);
  const m = a.valid;
  const lo = upper ? 0x61 : 0x41; // the ASCII letters that change: a-z for upper, A-Z for lower
  for (let i = 0; i < n; i++) {
    if (m === null || m[i]) {
      const s = o ? o[i] : 0;
      const e = o ? o[i + 1] : src.length;
      let ascii = true;
      for (let b = s; b < e; b++) if (src[b] >= 0x80) { ascii = false; break; }
      if (ascii) {
        out.ensure(e - s);
        const dst = out.bytes;
        let p = out.pos;
        for (let b = s; b < e; b++) {
          const c = src[b];
          dst[p++] = c >= lo && c < lo + 26 ? c ^ 0x20 : c;
        }
        out.pos = p;
      } else {
        const text = srcBuf.toString("utf8", s, e);
        out.writeString(upper ? text.toUpperCase() : text.toLowerCase());
      }
    }
    out.end(i);
  }
  return out.finish(m);
}

/** @internal Whether each row contains (or starts with) `needle`, by bytes. */
export function search(a: StrCol, needle: Uint8Array, prefix: boolean, n: number): Col {
  const v = new Uint8Array(n);
  const bytes = a.bytes;
  const o = a.off;
  const l = needle.length;
  for (let i = 0; i < n; i++) {
    const s = o ? o[i] : 0;
    const e = o ? o[i + 1] : bytes.length;
    if (e - s < l) continue;
    const last = prefix ? s : e - l;
    for (let p = s; p <= last; p++) {
      let k = 0;
      while (k < l && bytes[p + k] === needle[k]) k++;
      if (k === l) { v[i] = 1; break; }
    }
  }
  return { k: "bool", v, valid: a.valid };
}

/** @internal The strings of each row joined; null where any part is null. */
export function concat(parts: StrCol[], n: number): Col {
  let valid: Mask = null;
  for (const p of parts) valid = andMask(valid, p.valid, n);
  const off = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (valid === null || valid[i]) {
      for (const p of parts) total += p.off ? p.off[i + 1] - p.off[i] : p.bytes.length;
    }
    off[i + 1] = total;
  }
  const bytes = new Uint8Array(total);
  for (let i = 0; i < n; i++) {
    if (valid !== null && !valid[i]) continue;
    let at = off[i];
    for (const p of parts) {
      const s = p.off ? p.off[i] : 0;
      const e = p.off ? p.off[i + 1] : p.bytes.length;
      copyBytes(p.bytes, s, e, bytes, at);
      at += e - s;
    }
  }
  return { k: "str", off, bytes, valid };
}
