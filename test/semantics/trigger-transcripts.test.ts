/**
 * Beam's trigger transcripts on the direct runner.
 * Source: Apache Beam, sdks/python/apache_beam/testing/data/trigger_transcripts.yaml, run as in
 * sdks/python/apache_beam/transforms/trigger_test.py (`TestStreamTranscriptTest`); the transcripts
 * re-expressed (and the one deliberate difference) are listed in ./trigger-transcripts.yaml.
 */
import * as path from "node:path";
import { readTranscripts, runTranscript } from "./transcripts";

const transcripts = readTranscripts(path.join(__dirname, "trigger-transcripts.yaml"));

describe("Beam's trigger transcripts", () => {
  for (const t of transcripts.filter((x) => !x.error)) {
    test(t.name, async () => {
      expect(await runTranscript(t)).toBeNull();
    });
  }
});

describe("Beam's rejected transcripts are rejected", () => {
  for (const t of transcripts.filter((x) => x.error)) {
    test(`${t.name}: ${t.error}`, async () => {
      const failure = await runTranscript(t);
      expect(failure).not.toBeNull();
      expect(failure!.startsWith(t.error!)).toBe(true);
    });
  }
});
