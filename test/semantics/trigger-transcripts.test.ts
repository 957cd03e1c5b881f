/**
 * Beam's trigger transcripts on the direct runner.
 * Source: Apache Beam, sdks/python/apache_beam/testing/data/trigger_transcripts.yaml, run as in
 * sdks/python/apache_beam/transforms/trigger_test.py (`TestStreamTranscriptTest`); the transcripts
 * re-expressed (and the one deliberate difference) are listed in ./trigger-transcripts.yaml. Each is
 * checked action by action (./transcripts.ts) and as a pipeline whose assertions hold its expected
 * panes (./scenarios/transcripts.ts, which the portable integration suite runs on Prism too).
 */
import * as path from "node:path";
import { runPipeline } from "beamline";
import { readTranscripts, runTranscript } from "./transcripts";
import { TRIGGER_TRANSCRIPTS } from "./scenarios/transcripts";

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

describe("Beam's trigger transcripts as pipelines with their expected panes", () => {
  for (const s of TRIGGER_TRANSCRIPTS) {
    test(s.name, async () => {
      await runPipeline(s.build());
    });
  }
});
