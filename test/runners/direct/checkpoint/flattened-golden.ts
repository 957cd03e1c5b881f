/** The checkpoint tests' flattened golden pipeline as a pipeline file the `beamline` command runs. */
import { flattenedGolden } from "./pipelines";

export default flattenedGolden;
