/** What translating a pipeline for a portable runner refuses before submission, for the refusal tests. */
import type { Pipeline } from "beamline";
import { beamProtos } from "../../../runners/portable/model/protos";
import { translate } from "../../../runners/portable/translate";
import { readTestStreamScripts } from "../../../runners/portable/translate-teststream";

const ENV = { urn: "beam:env:external:v1", payload: new Uint8Array() };

/** The unsupported list translating `p` (its TestStream scripts read first) for `runner` throws, or null when it translates. */
export async function refused(p: Pipeline, runner: string): Promise<string[] | null> {
  const testStreams = await readTestStreamScripts(p.graph(), (n) => p.fn(n));
  try {
    translate(p.graph(), beamProtos(), { environment: ENV, fingerprint: p.fingerprint(), runner, testStreams });
    return null;
  } catch (e) {
    expect((e as { code?: string }).code).toBe("BL_PORTABLE_UNSUPPORTED");
    return (e as { value: string[] }).value;
  }
}
