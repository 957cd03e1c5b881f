/** The checkpoint tests' windowed golden pipeline as a pipeline file the `beamline` command runs. */
import { checkpointGolden } from "./pipelines";

export default checkpointGolden;
