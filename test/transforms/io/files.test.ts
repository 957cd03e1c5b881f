import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { IOError } from "beamline";
import { detectCompression, expandPattern, lineAt, readLineChunks, shardName } from "../../../transforms/io";
import { tmpDir } from "./helpers";

async function lines(file: string, opts = {}): Promise<{ text: string; line: number }[]> {
  const out: { text: string; line: number }[] = [];
  for await (const c of readLineChunks(file, opts)) for (let i = 0; i < c.count; i++) out.push({ text: lineAt(c, i), line: c.firstLine + i });
  return out;
}

describe("expandPattern", () => {
  test("globs, plain paths, sorted and absolute", () => {
    const d = tmpDir();
    for (const f of ["b.txt", "a.txt", "c.csv"]) fs.writeFileSync(path.join(d, f), "x");
    expect(expandPattern(path.join(d, "*.txt"))).toEqual([path.join(d, "a.txt"), path.join(d, "b.txt")]);
    expect(expandPattern(path.join(d, "c.csv"))).toEqual([path.join(d, "c.csv")]);
    expect(expandPattern([path.join(d, "*.csv"), path.join(d, "c.csv")])).toEqual([path.join(d, "c.csv")]);
    fs.writeFileSync(path.join(d, "weird[1].txt"), "x");
    expect(expandPattern(path.join(d, "weird[1].txt"))).toEqual([path.join(d, "weird[1].txt")]);
  });
  test("a pattern that matches nothing names the pattern, the rule and the fix", () => {
    const d = tmpDir();
    const p = path.join(d, "nothing-*.txt");
    expect(() => expandPattern(p, "readText")).toThrow(IOError);
    try {
      expandPattern(p, "readText");
    } catch (e) {
      const err = e as IOError;
      expect(err.message).toContain(p);
      expect(err.rule).toContain("matched no file");
      expect(err.fix).toBeTruthy();
      expect(err.code).toBe("BL_IO_NO_MATCH");
    }
  });
});

describe("compression", () => {
  test("detects .gz and honours the explicit option", () => {
    expect(detectCompression("a.txt.gz")).toBe("gzip");
    expect(detectCompression("a.TXT.GZ")).toBe("gzip");
    expect(detectCompression("a.txt")).toBe("none");
    expect(detectCompression("a.txt", "gzip")).toBe("gzip");
    expect(detectCompression("a.gz", "none")).toBe("none");
    expect(() => detectCompression("a", "zip" as any)).toThrow(IOError);
  });
});

describe("readLineChunks", () => {
  test("\\n, \\r\\n, a last line without newline, blank lines, BOM, unicode", async () => {
    const f = path.join(tmpDir(), "a.txt");
    fs.writeFileSync(f, "\uFEFFone\r\ntwo\n\nthree 🎉 ünï\r\nlast");
    expect(await lines(f)).toEqual([
      { text: "one", line: 1 }, { text: "two", line: 2 }, { text: "", line: 3 }, { text: "three 🎉 ünï", line: 4 }, { text: "last", line: 5 },
    ]);
  });
  test("empty file and a lone newline", async () => {
    const d = tmpDir();
    fs.writeFileSync(path.join(d, "e.txt"), "");
    fs.writeFileSync(path.join(d, "n.txt"), "\n");
    expect(await lines(path.join(d, "e.txt"))).toEqual([]);
    expect(await lines(path.join(d, "n.txt"))).toEqual([{ text: "", line: 1 }]);
  });
  test("gzip, and resuming from a chunk's position (plain and gzip)", async () => {
    const d = tmpDir();
    const text = Array.from({ length: 50000 }, (_, i) => `line ${i} ✓`).join("\n") + "\n";
    fs.writeFileSync(path.join(d, "p.txt"), text);
    fs.writeFileSync(path.join(d, "g.txt.gz"), zlib.gzipSync(text));
    for (const f of ["p.txt", "g.txt.gz"]) {
      const chunks = [];
      for await (const c of readLineChunks(path.join(d, f), { maxLines: 7000 })) chunks.push(c);
      expect(chunks.reduce((n, c) => n + c.count, 0)).toBe(50000);
      const c = chunks[2];
      const resumed = await lines(path.join(d, f), { from: { offset: c.endOffset, line: c.firstLine + c.count } });
      expect(resumed.length).toBe(50000 - 21000);
      expect(resumed[0]).toEqual({ text: "line 21000 ✓", line: 21001 });
    }
  });
  test("lines short and long, with and without CR, read back byte for byte across chunks", async () => {
    const f = path.join(tmpDir(), "mixed-lengths.txt");
    // Lengths on both sides of the reader's short-line copy (64 bytes), multi-byte characters, CRLF on some.
    const expected = Array.from({ length: 5000 }, (_, i) => `${i}:${"é".repeat(i % 9)}${"x".repeat((i * 37) % 140)}`);
    const crlfAt = (i: number) => i % 3 === 0;
    fs.writeFileSync(f, expected.map((t, i) => t + (crlfAt(i) ? "\r\n" : "\n")).join(""));
    const got: string[] = [];
    const gotCrlf: boolean[] = [];
    for await (const c of readLineChunks(f, { maxLines: 777 })) {
      expect(c.offsets.length).toBe(c.count + 1);
      expect(c.offsets[c.count]).toBe(c.bytes.length);
      for (let i = 0; i < c.count; i++) {
        got.push(lineAt(c, i));
        gotCrlf.push(c.crlf[i] === 1);
      }
    }
    expect(got).toEqual(expected);
    expect(gotCrlf).toEqual(expected.map((_, i) => crlfAt(i)));
  });
  test("a file far larger than one chunk streams in bounded chunks", async () => {
    const f = path.join(tmpDir(), "big.txt");
    const fd = fs.openSync(f, "w");
    const rows = 300_000;
    for (let i = 0; i < rows; i += 10000) fs.writeSync(fd, Array.from({ length: 10000 }, (_, k) => `row-${i + k}`).join("\n") + "\n");
    fs.closeSync(fd);
    let n = 0;
    let maxCount = 0;
    let last = "";
    for await (const c of readLineChunks(f)) {
      n += c.count;
      maxCount = Math.max(maxCount, c.count);
      last = lineAt(c, c.count - 1);
    }
    expect(n).toBe(rows);
    expect(maxCount).toBeLessThanOrEqual(16384);
    expect(last).toBe(`row-${rows - 1}`);
  });
  test("lines that are not valid UTF-8 are listed in their chunk, in every block read and at the end", async () => {
    const d = tmpDir();
    const bad = (chunks: { firstLine: number; invalidUtf8: readonly number[] }[]) => chunks.flatMap((c) => c.invalidUtf8.map((i) => c.firstLine + i));
    const read = async (f: string, opts = {}) => {
      const chunks = [];
      for await (const c of readLineChunks(f, opts)) chunks.push(c);
      return chunks;
    };
    // A lead byte ending one line and a continuation byte starting the next: each line alone is invalid,
    // though the two would make "é" if the newline between them were dropped. Then a lone 0xff, an
    // overlong encoding, a truncated 4-byte sequence as the last line (no newline), valid multi-byte lines between.
    const f = path.join(d, "mixed.txt");
    fs.writeFileSync(f, Buffer.concat([
      Buffer.from("ok ü\nend "), Buffer.from([0xc3]), Buffer.from("\n"), Buffer.from([0xa9]), Buffer.from(" start\n🎉\n"),
      Buffer.from([0x61, 0xff, 0x62, 0x0a]), Buffer.from([0xc0, 0xaf, 0x0a]), Buffer.from("fine\n"), Buffer.from([0xf0, 0x9f, 0x8e]),
    ]));
    expect(bad(await read(f))).toEqual([2, 3, 5, 6, 8]);
    // Many blocks and chunks (gzip too): only the bad lines, numbered across chunks.
    const lines = Array.from({ length: 60_000 }, (_, i) => Buffer.from(`line ${i} ✓\n`));
    for (const i of [0, 12_345, 40_000, 59_999]) lines[i] = Buffer.from([0x78, 0xe2, 0x9c, 0x0a]); // a truncated "✓"
    const big = Buffer.concat(lines);
    fs.writeFileSync(path.join(d, "big.txt"), big);
    fs.writeFileSync(path.join(d, "big.txt.gz"), zlib.gzipSync(big));
    for (const name of ["big.txt", "big.txt.gz"]) expect(bad(await read(path.join(d, name), { maxLines: 7000 }))).toEqual([1, 12_346, 40_001, 60_000]);
    expect(bad(await read(path.join(d, "big.txt"), { from: { offset: 4, line: 2 } }))).toEqual([12_346, 40_001, 60_000]);
  });
  test("a missing file and bad gzip are IOErrors naming the file", async () => {
    const d = tmpDir();
    await expect(lines(path.join(d, "missing.txt"))).rejects.toThrow(/missing\.txt.*does not exist/);
    fs.writeFileSync(path.join(d, "bad.gz"), "not gzip at all");
    await expect(lines(path.join(d, "bad.gz"))).rejects.toThrow(IOError);
  });
});

describe("shardName", () => {
  test("pads to five digits", () => {
    expect(shardName("out/x", 0, 3, ".txt")).toBe("out/x-00000-of-00003.txt");
    expect(shardName("x", 12, 100)).toBe("x-00012-of-00100");
  });
});
