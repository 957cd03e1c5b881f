/** The endless numbers as a pipeline file for the `beamline` command (see stop.test.ts). */
import { endlessNumbers } from "./pipelines";

export default endlessNumbers;
