/**
 * The committer of file sinks: publishing a staged file is renaming it to its final name, then removing
 * its staging directory. Done is done, even when a consumer has since moved or deleted the published
 * file: a committable whose staging directory is gone was committed (or aborted) before, and one whose
 * staged file is gone from a directory holding the {@link PUBLISHED_MARKER} was renamed before a crash
 * cut the commit short. Only a staged file missing from a directory without the marker is lost. On
 * Cloud Storage the same steps run with a copy and a delete for the rename; a commit cut short between
 * them is finished by the next one (the staged file is still there, and is copied again).
 */
import { IOError } from "../../../sdk/errors";
import type { JsonValue } from "../../../sdk/graph";
import type { Committer } from "../../../sdk/sink";
import { ioFailure } from "./io-errors";
import { isStagedFile, PUBLISHED_MARKER, removeDir, type StagedFile } from "./staging";
import { storageFor } from "./storage-for";

/** Commits staged files by renaming them into place; aborts by removing their staging directories. */
export class FileCommitter implements Committer<JsonValue> {
  /**
   * Renames every staged file to its final name (after marking its staging directory published) and
   * removes the staging directories; returns the final paths, sorted. Files published before are
   * skipped, whether or not they are still where they were published. On failure, the files this call
   * renamed go back to staging, unmarked, so the same committables can be committed again or aborted.
   */
  async commit(committables: readonly JsonValue[]): Promise<string[]> {
    const files = committables.map(stagedFile);
    const published: string[] = [];
    const renamed: StagedFile[] = [];
    for (const f of files) {
      const storage = storageFor(f.final);
      const exists = (p: string) => storage.exists(p);
      try {
        if (!(await exists(f.staged))) {
          if (!(await exists(f.staging)) || (await exists(marker(f))) || (await exists(f.final))) {
            published.push(f.final);
            continue;
          }
          throw new IOError({
            code: "BL_IO_STAGED_LOST",
            domain: "external",
            where: f.final,
            value: f.staged,
            rule: "a staged file must stay in its staging directory until it is committed or aborted",
            fix: "leave the .beamline-staging-* directories next to the output alone while a run or a resume is under way",
          });
        }
        await storage.writeSmall(marker(f), f.final);
        await storage.ensureDir(storage.dirname(f.final));
        await storage.move(f.staged, f.final);
        renamed.push(f);
        published.push(f.final);
      } catch (e) {
        await Promise.all(renamed.concat(f).map(unpublish));
        throw ioFailure(f.final, e, "publish");
      }
    }
    await Promise.all([...new Set(files.map((f) => f.staging))].map(removeDir));
    return published.sort();
  }

  /** Removes the staging directories of the committables. */
  async abort(committables: readonly JsonValue[]): Promise<void> {
    const dirs = new Set<string>();
    for (const c of committables) if (isStagedFile(c)) dirs.add(c.staging);
    await Promise.all([...dirs].map(removeDir));
  }
}

/** The marker of a staged file's directory. */
function marker(f: StagedFile): string {
  return storageFor(f.staging).join(f.staging, PUBLISHED_MARKER);
}

/** Puts a file a failed commit renamed back into staging (or removes it), then unmarks its directory. */
async function unpublish(f: StagedFile): Promise<void> {
  const storage = storageFor(f.final);
  if (!(await storage.exists(f.staged))) await storage.move(f.final, f.staged).catch(() => storage.remove(f.final));
  await storage.remove(marker(f));
}

function stagedFile(c: JsonValue): StagedFile {
  if (isStagedFile(c)) return c;
  throw new IOError({
    code: "BL_IO_BAD_STAGED",
    domain: "internal",
    value: c,
    rule: "a file sink's committable must be what its writer's prepareCommit returned",
    fix: "pass the results of prepareCommit unchanged",
  });
}
