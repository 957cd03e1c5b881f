/**
 * The content-hashed bundle of a pipeline file: the file and everything it imports by relative path,
 * bundled into one CommonJS module (packages such as `beamline` stay imports, resolved where the
 * harness runs), named by its SHA-256 and staged to the job service as the environment's artifact.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";
import { cacheDir } from "./provision/cache";
import type { LocalArtifact } from "./jobclient";

/** The pipeline option that tells a PROCESS harness which staged module to load with which options. */
export const PIPELINE_OPTION = "beamline_pipeline";

/** What a PROCESS harness needs to rebuild the pipeline. */
export interface StagedPipeline {
  /** The staged name of the bundle. */
  readonly module: string;
  /** The pipeline's option values. */
  readonly options: Record<string, unknown>;
}

/** Bundles `file` into the cache (once per content) and returns it as a file artifact. */
export function bundlePipelineFile(file: string): LocalArtifact {
  const result = buildSync({
    entryPoints: [path.resolve(file)],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    // Named explicitly: the tsconfig path mapping would otherwise pull Beamline itself into the bundle.
    external: ["beamline"],
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].contents;
  const sha256 = createHash("sha256").update(code).digest("hex");
  const out = path.join(cacheDir("artifacts"), `pipeline-${sha256.slice(0, 32)}.js`);
  if (!fs.existsSync(out)) fs.writeFileSync(out, code);
  return { path: out, sha256, stagedName: path.basename(out) };
}
