import * as fs from "node:fs";
import * as path from "node:path";
import { IOError } from "beamline";
import { ioFailure } from "../../../transforms/io/files/io-errors";
import { tempDir } from "../../helpers";

const errno = (code: string, message: string) => Object.assign(new Error(`${code}: ${message}`), { code });

describe("file operation errors", () => {
  test("a directory is called a directory (root ignores permissions, so the EACCES is made here as a user would meet it)", () => {
    const dir = tempDir();
    const e = ioFailure(dir, errno("EACCES", "permission denied, mkdir"), "create a staging directory in");
    expect(e).toBeInstanceOf(IOError);
    expect(e.message).toContain("cannot create a staging directory in the directory: EACCES");
    expect(e.fix).toBe("check the directory's permissions and the disk");
    expect(e.domain).toBe("user");
    const file = path.join(dir, "f");
    fs.writeFileSync(file, "x");
    expect(ioFailure(file, errno("EIO", "i/o error"), "read").message).toContain("cannot read the file: EIO");
  });

  test("a directory on the way that refuses us is named (EACCES as the glob reports it for a directory without x permission)", () => {
    const e = ioFailure("/data/private/logs/*.txt", Object.assign(errno("EACCES", "permission denied, scandir '/data/private'"), { path: "/data/private" }), "search for");
    expect(e).toMatchObject({ code: "BL_IO_DENIED", value: "/data/private", domain: "user", retriable: false });
    expect(e.message).toContain("cannot search for /data/private/logs/*.txt: permission denied on /data/private");
    expect(e.fix).toContain("chmod +rx");
  });

  test("ENOTDIR and EEXIST under a regular file name that file", () => {
    const dir = tempDir();
    const file = path.join(dir, "plain");
    fs.writeFileSync(file, "x");
    for (const [target, code] of [[path.join(file, "out"), "EEXIST"], [path.join(file, "a", "b"), "ENOTDIR"], [file, "ENOTDIR"]] as const) {
      const e = ioFailure(target, errno(code, "x"), "write");
      expect(e).toMatchObject({ code: "BL_IO_NOT_A_DIRECTORY" });
      expect(e.message).toContain(`${file} is a file, not a directory`);
    }
    // EEXIST of a file that exists where the ancestors are directories is not about a directory.
    expect(ioFailure(file, errno("EEXIST", "file already exists"), "create").code).toBe("BL_IO_FAILED");
  });
});
