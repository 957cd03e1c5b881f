/**
 * The environment Beamline's functions run in on Dataflow: a DOCKER environment with Beamline's SDK
 * harness image, whose one dependency is the pipeline's content-hashed bundle at its staged `gs://`
 * URL (Dataflow's workers fetch URL artifacts themselves and hand them to the harness).
 */
import type { LocalArtifact } from "../portable/jobclient";
import type { Protos } from "../portable/model/protos";
import type { EnvironmentSpec } from "../portable/translate";

/** The URN of an environment whose harness runs in a container. */
export const DOCKER_ENV_URN = "beam:env:docker:v1";

/** The staged `gs://` URL of a file staged as `stagedName` under `stagingLocation`. */
export function stagedUrl(stagingLocation: string, stagedName: string): string {
  return `${stagingLocation.replace(/\/+$/, "")}/${stagedName}`;
}

/** The DOCKER environment running `image`, depending on `bundle` staged under `stagingLocation`. */
export function dataflowEnvironment(protos: Protos, image: string, stagingLocation: string, bundle: LocalArtifact): EnvironmentSpec {
  return {
    urn: DOCKER_ENV_URN,
    payload: protos.encode("pipeline.DockerPayload", { containerImage: image }),
    dependencies: [
      {
        typeUrn: "beam:artifact:type:url:v1",
        typePayload: protos.encode("pipeline.ArtifactUrlPayload", { url: stagedUrl(stagingLocation, bundle.stagedName), sha256: bundle.sha256 }),
        roleUrn: "beam:artifact:role:staging_to:v1",
        rolePayload: protos.encode("pipeline.ArtifactStagingToRolePayload", { stagedName: bundle.stagedName }),
      },
    ],
  };
}
