/**
 * Staging a Dataflow job: the pipeline proto (`pipeline.pb`, per job) and the content-hashed bundle
 * (shared by every job with the same code: uploaded only when not there yet) go to the staging
 * location through Beamline's Cloud Storage code, which follows `STORAGE_EMULATOR_HOST`.
 */
import * as fs from "node:fs";
import { createHash } from "node:crypto";
import { pipeline as streamPipeline } from "node:stream/promises";
import { storageFor } from "../../transforms/io/files/storage-for";
import type { LocalArtifact } from "../portable/jobclient";
import { stagedUrl } from "./environment";

/** The name Dataflow's Runner v2 reads the staged pipeline proto under (as Beam's SDKs stage it). */
export const STAGED_PIPELINE_NAME = "pipeline.pb";

/** A staged file: its `gs://` URL, name and SHA-256. */
export interface StagedFile {
  readonly url: string;
  readonly name: string;
  readonly sha256: string;
}

/**
 * Where a job's pipeline proto is staged: a folder of its own under the staging location, named as Beam's
 * SDKs name it (`<job name>.<submission time in seconds>`), so that jobs of the same name never share one.
 */
export function pipelineUrl(stagingLocation: string, jobName: string, now: Date = new Date()): string {
  return stagedUrl(stagingLocation, `${jobName}.${(now.getTime() / 1000).toFixed(6)}/${STAGED_PIPELINE_NAME}`);
}

/** The SHA-256 of bytes, hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Uploads `bundle` to the staging location unless a file of that content-hashed name is there already. */
export async function stageBundle(stagingLocation: string, bundle: LocalArtifact): Promise<StagedFile> {
  const url = stagedUrl(stagingLocation, bundle.stagedName);
  const storage = storageFor(url);
  if (!(await storage.exists(url))) await streamPipeline(fs.createReadStream(bundle.path), storage.createWrite(url));
  return { url, name: bundle.stagedName, sha256: bundle.sha256 };
}

/** Uploads the pipeline proto's bytes to `url` (see {@link pipelineUrl}). */
export async function stagePipeline(url: string, proto: Uint8Array): Promise<StagedFile> {
  const storage = storageFor(url);
  await storage.remove(url);
  await streamPipeline(async function* () {
    yield Buffer.from(proto);
  }, storage.createWrite(url));
  return { url, name: STAGED_PIPELINE_NAME, sha256: sha256Hex(proto) };
}
