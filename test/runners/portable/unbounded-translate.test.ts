/**
 * Unbounded reads on portable runners: translated as splittable DoFns (the read DoFn's ParDoPayload
 * names a restriction coder, and the pipeline declares Beam's splittable DoFn requirement); a source
 * that publishes its progress asks for bundle finalization. Writes of unbounded input run bundle by
 * bundle where the sink publishes what it prepares (writeKafka at-least-once); others are refused
 * before submission, naming the transform, why, and what to do instead.
 */
import { generateSequence, periodicImpulse, Pipeline, readKafka, readPubSub, testStream, writeKafka, writeText } from "beamline";
import { beamProtos } from "../../../runners/portable/model/protos";
import { translate } from "../../../runners/portable/translate";
import { BUNDLE_FINALIZATION_REQUIREMENT, inspectUnboundedReads, SPLITTABLE_DOFN_REQUIREMENT } from "../../../runners/portable/translate-read";
import { refused } from "./refused";
import { describeWith } from "./requirements";

const ENV = { urn: "beam:env:external:v1", payload: new Uint8Array() };

/** The pipeline as the job service receives it, translated as the portable runner does (its unbounded reads inspected first). */
function translated(p: Pipeline, runner: string, stableInput = false): any {
  const protos = beamProtos();
  const unboundedReads = inspectUnboundedReads(p.graph(), (n) => p.fn(n));
  const { pipeline } = translate(p.graph(), protos, { environment: ENV, fingerprint: p.fingerprint(), runner, unboundedReads, stableInput });
  return protos.decode("pipeline.Pipeline", protos.encode("pipeline.Pipeline", pipeline));
}

/** What `f` throws (null when it does not). */
function refusal(f: () => unknown): (Error & { code?: string; value?: string[] }) | null {
  try {
    f();
    return null;
  } catch (e) {
    return e as Error & { code?: string; value?: string[] };
  }
}

/** The ParDoPayload of transform `name`. */
function parDo(pipeline: any, name: string): any {
  return beamProtos().decode("pipeline.ParDoPayload", pipeline.components.transforms[name].spec.payload);
}

describeWith(["mvn", "java"], "Unbounded reads on portable runners", () => {
  test("an unbounded sequence and periodic impulse read each part with a splittable DoFn whose restriction travels as bytes", () => {
    for (const runner of ["prism", "flink"]) {
      const p = new Pipeline();
      p.apply("Ticks", generateSequence({ from: 0 }));
      p.apply("Beats", periodicImpulse({ interval: "1s" }));
      const pipeline = translated(p, runner);
      for (const name of ["Ticks", "Beats"]) {
        const read = parDo(pipeline, `${name}/Read`);
        expect(read.restrictionCoderId).not.toBe("");
        expect(pipeline.components.coders[read.restrictionCoderId].spec.urn).toBe("beam:coder:bytes:v1");
        const out = pipeline.components.transforms[`${name}/Read`].outputs.main;
        expect(pipeline.components.pcollections[out].isBounded).toBe("UNBOUNDED");
        // The parts are still split once and spread by the runner before they are read.
        expect(pipeline.components.transforms[name].subtransforms).toEqual([`${name}/Impulse`, `${name}/Split`, `${name}/Spread`, `${name}/Read`]);
      }
      expect(pipeline.requirements).toContain(SPLITTABLE_DOFN_REQUIREMENT);
      expect(pipeline.requirements).not.toContain(BUNDLE_FINALIZATION_REQUIREMENT);
      expect(parDo(pipeline, "Ticks/Read").requestsFinalization).toBe(false);
    }
  });

  test("an unbounded Pub/Sub read, which acknowledges what the runner committed, asks for bundle finalization", () => {
    const p = new Pipeline();
    p.apply("Clicks", readPubSub({ subscription: "projects/p/subscriptions/clicks" }));
    const pipeline = translated(p, "prism");
    const read = parDo(pipeline, "Clicks/Read");
    expect(read.restrictionCoderId).not.toBe("");
    expect(read.requestsFinalization).toBe(true);
    expect(pipeline.requirements).toEqual(expect.arrayContaining([SPLITTABLE_DOFN_REQUIREMENT, BUNDLE_FINALIZATION_REQUIREMENT]));
  });

  test("a runner that does not inspect its unbounded reads (Dataflow) refuses them, saying where they run", () => {
    const p = new Pipeline();
    p.apply("Ticks", generateSequence({ from: 0 }));
    const error = refusal(() => translate(p.graph(), beamProtos(), { environment: ENV, fingerprint: p.fingerprint(), runner: "dataflow" }));
    expect(error?.code).toBe("BL_PORTABLE_UNSUPPORTED");
    expect(error!.value).toEqual([expect.stringMatching(/^Ticks: an unbounded source \(the dataflow runner does not read unbounded sources through Beamline's harness\) — run it on Prism or Flink/)]);
  });

  test("a bounded read stays a plain DoFn reading each part to its end", () => {
    const p = new Pipeline();
    p.apply("Ticks", generateSequence({ from: 0, to: 10 }));
    const pipeline = translated(p, "prism");
    expect(parDo(pipeline, "Ticks/Read").restrictionCoderId).toBe("");
    expect(pipeline.requirements).not.toContain(SPLITTABLE_DOFN_REQUIREMENT);
  });

  test("an unbounded Kafka read is a splittable DoFn asking for bundle finalization (its offsets are committed to the group there)", () => {
    const p = new Pipeline();
    p.apply("Clicks", readKafka({ brokers: "127.0.0.1:9092", topics: ["clicks"], groupId: "g" }));
    for (const runner of ["prism", "flink"]) {
      const pipeline = translated(p, runner);
      const read = parDo(pipeline, "Clicks/Read");
      expect(read.restrictionCoderId).not.toBe("");
      expect(read.requestsFinalization).toBe(true);
      expect(pipeline.requirements).toEqual(expect.arrayContaining([SPLITTABLE_DOFN_REQUIREMENT, BUNDLE_FINALIZATION_REQUIREMENT]));
    }
  });

  test("writeKafka at-least-once of an unbounded input writes every bundle; exactly-once without stable input, and other sinks of unbounded input, are refused with the reason and the fix", () => {
    const atLeastOnce = new Pipeline();
    atLeastOnce.apply("Clicks", readKafka({ brokers: "127.0.0.1:9092", topics: ["clicks"] })).apply("Out", writeKafka({ brokers: "127.0.0.1:9092", topic: "out", semantics: "at-least-once" }));
    const pipeline = translated(atLeastOnce, "prism");
    expect(pipeline.components.transforms.Out.subtransforms).toEqual(["Out/WriteBundles"]);
    const payload = JSON.parse(Buffer.from(parDo(pipeline, "Out/WriteBundles").doFn.payload).toString("utf8"));
    expect(payload).toMatchObject({ role: "writeBundle", transform: "Out" });
    // A bounded input keeps the two-phase path: shard, group, write, gather, commit.
    const bounded = new Pipeline();
    bounded.apply("Clicks", readKafka({ brokers: "127.0.0.1:9092", topics: ["clicks"], stopAt: "end" })).apply("Out", writeKafka({ brokers: "127.0.0.1:9092", topic: "out", semantics: "exactly-once" }));
    expect(translated(bounded, "prism").components.transforms.Out.subtransforms).toContain("Out/Commit");

    const exactly = new Pipeline();
    const clicks = exactly.apply("Clicks", readKafka({ brokers: "127.0.0.1:9092", topics: ["clicks"] }));
    clicks.apply("Out", writeKafka({ brokers: "127.0.0.1:9092", topic: "out", semantics: "exactly-once" }));
    clicks.apply("Files", writeText("/tmp/never/out"));
    const error = refusal(() => translated(exactly, "flink"));
    expect(error?.code).toBe("BL_PORTABLE_UNSUPPORTED");
    expect(error!.value).toEqual([
      expect.stringMatching(/^Out: writeKafka exactly-once of an unbounded input: the flink runner gives no stable input here .*run with --checkpoint-dir .*pass semantics: "at-least-once" .*or run it on the direct runner$/),
      expect.stringMatching(/^Files: writeText \(a file sink\) — a transactional sink of an unbounded input: on the flink runner .* never does.* — write the rows with writeKafka and semantics: "at-least-once", or run it on the direct runner, or bound the input$/),
    ]);
  });

  test("a file sink fed by a TestStream is not refused (its script ends, so the sink commits when its input ends), where one fed by an endless source is", async () => {
    for (const runner of ["prism", "flink"]) {
      const scripted = new Pipeline();
      scripted.apply("Events", testStream<string>().addElements("a", "b").advanceWatermarkToInfinity()).apply("Files", writeText("/tmp/never/scripted"));
      expect(await refused(scripted, runner)).toBeNull();
      const endless = new Pipeline();
      endless.apply("Ticks", generateSequence({ ratePerSecond: 10 })).map((n: number) => String(n), { name: "Format" }).apply("Files", writeText("/tmp/never/endless"));
      expect(await refused(endless, runner)).toEqual(expect.arrayContaining([expect.stringMatching(/^Files: writeText \(a file sink\) — a transactional sink of an unbounded input/)]));
    }
  });

  test("writeKafka exactly-once of an unbounded input, where the runner gives stable input, numbers each shard's rows in a stateful DoFn that requires stable input", () => {
    const p = new Pipeline();
    p.apply("Clicks", readKafka({ brokers: "127.0.0.1:9092", topics: ["clicks"] })).apply("Out", writeKafka({ brokers: "127.0.0.1:9092", topic: "out", semantics: "exactly-once" }));
    const pipeline = translated(p, "flink", true);
    expect(pipeline.components.transforms.Out.subtransforms).toEqual(["Out/KeyByShard", "Out/Rewindow", "Out/Number", "Out/WriteSequenced"]);
    // Numbered by a counter in each shard's state, in a stage that does not need stable input.
    const number = parDo(pipeline, "Out/Number");
    expect(number.requiresStableInput).toBeFalsy();
    expect(Object.keys(number.stateSpecs)).toEqual(["next"]);
    expect(JSON.parse(Buffer.from(number.doFn.payload).toString("utf8"))).toMatchObject({ role: "writeNumber", transform: "Out" });
    // Written from stable input by a DoFn whose one state cell only keys its input and is never read.
    const writer = parDo(pipeline, "Out/WriteSequenced");
    expect(writer.requiresStableInput).toBe(true);
    expect(Object.keys(writer.stateSpecs)).toEqual(["unread"]);
    expect(JSON.parse(Buffer.from(writer.doFn.payload).toString("utf8"))).toMatchObject({ role: "writeSequenced", transform: "Out" });
    // Keyed by shard in the global window: one counter per shard.
    for (const step of ["Out/Number", "Out/WriteSequenced"]) {
      const input = pipeline.components.pcollections[pipeline.components.transforms[step].inputs.main];
      expect(pipeline.components.coders[input.coderId].spec.urn).toBe("beam:coder:kv:v1");
      expect(pipeline.components.windowingStrategies[input.windowingStrategyId].windowFn.urn).toBe("beam:window_fn:global_windows:v1");
    }
    expect(pipeline.requirements).toEqual(expect.arrayContaining(["beam:requirement:pardo:stable_input:v1", "beam:requirement:pardo:stateful:v1"]));
  });
});
