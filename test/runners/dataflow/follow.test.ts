/** Following a Dataflow job against a fake of the jobs endpoint: states, messages, failure, cancel, bounds. */
import { BeamlineError } from "beamline";
import { followJob } from "../../../runners/dataflow/follow";
import { jobEndError } from "../../../runners/dataflow/job-end";
import { DataflowApiError, DataflowJobsApi } from "../../../runners/dataflow/jobs-api";
import { FakeDataflow, startFakeDataflow } from "./fake-dataflow";

const fakes: FakeDataflow[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.stop()));
});

async function jobOn(script: Parameters<typeof startFakeDataflow>[0]): Promise<{ fake: FakeDataflow; api: DataflowJobsApi; id: string }> {
  const fake = await startFakeDataflow(script);
  fakes.push(fake);
  const api = new DataflowJobsApi(fake.url, "my-project", "europe-west1");
  const { id } = await api.create({ name: "wordcount" });
  return { fake, api, id };
}

describe("following a Dataflow job", () => {
  test("reads states and every message once, in order, page by page, until JOB_STATE_DONE", async () => {
    const { fake, api, id } = await jobOn({
      states: ["JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_RUNNING", "JOB_STATE_DONE"],
      messages: [
        { atState: 0, importance: "JOB_MESSAGE_BASIC", text: "Staging" },
        { atState: 1, importance: "JOB_MESSAGE_BASIC", text: "Workers started" },
        { atState: 1, importance: "JOB_MESSAGE_DETAILED", text: "Fusing" },
        { atState: 2, importance: "JOB_MESSAGE_WARNING", text: "Slow" },
        { atState: 3, importance: "JOB_MESSAGE_BASIC", text: "Done" },
      ],
    });
    const states: string[] = [];
    const texts: string[] = [];
    const outcome = await followJob(api, id, { pollIntervalMs: 5, onState: (s) => states.push(s), onMessage: (m) => texts.push(m.messageText!) });
    expect(outcome).toMatchObject({ state: "JOB_STATE_DONE", cancelRequested: false });
    expect(states).toEqual(["JOB_STATE_QUEUED", "JOB_STATE_RUNNING", "JOB_STATE_DONE"]);
    expect(texts).toEqual(["Staging", "Workers started", "Fusing", "Slow", "Done"]);
    expect(outcome.messages.map((m) => m.messageText)).toEqual(texts);
    expect(jobEndError(outcome, id, "link")).toBeNull();
    const listed = fake.calls.filter((c) => c.path.endsWith("/messages"));
    expect(listed.some((c) => c.query.pageToken)).toBe(true);
    expect(listed.every((c) => c.query.minimumImportance === "JOB_MESSAGE_BASIC")).toBe(true);
    expect(fake.calls[0]).toMatchObject({ method: "POST", path: "/v1b3/projects/my-project/locations/europe-west1/jobs", authorization: undefined });
  });

  test("a job that fails ends the run with its state and its error messages", async () => {
    const { api, id } = await jobOn({
      states: ["JOB_STATE_RUNNING", "JOB_STATE_FAILED"],
      messages: [
        { atState: 0, importance: "JOB_MESSAGE_BASIC", text: "Workers started" },
        { atState: 1, importance: "JOB_MESSAGE_ERROR", text: "Error in Words: TypeError: line.toLowerCase is not a function" },
        { atState: 1, importance: "JOB_MESSAGE_ERROR", text: "Workflow failed." },
      ],
    });
    const outcome = await followJob(api, id, { pollIntervalMs: 5, onMessage: () => {} });
    const e = jobEndError(outcome, id, "https://console.cloud.google.com/dataflow/jobs/europe-west1/x")!;
    expect(e.code).toBe("BL_JOB_FAILED");
    expect(e.value).toBe("JOB_STATE_FAILED");
    expect(e.message).toContain("line.toLowerCase is not a function");
    expect(e.message).toContain("Workflow failed.");
    expect(e.message).not.toContain("Workers started");
    expect(e.fix).toContain("console.cloud.google.com");
  });

  test("an aborted signal (Ctrl-C) asks Dataflow to cancel the job and follows it to JOB_STATE_CANCELLED", async () => {
    const { fake, api, id } = await jobOn({ states: ["JOB_STATE_RUNNING"] });
    const interrupt = new AbortController();
    const states: string[] = [];
    const following = followJob(api, id, { pollIntervalMs: 5, signal: interrupt.signal, onState: (s) => states.push(s) });
    await fake.gets(3);
    interrupt.abort();
    const outcome = await following;
    expect(outcome).toMatchObject({ state: "JOB_STATE_CANCELLED", cancelRequested: true });
    expect(states).toEqual(["JOB_STATE_RUNNING", "JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED"]);
    const cancels = fake.calls.filter((c) => c.method === "PUT");
    expect(cancels).toEqual([expect.objectContaining({ path: `/v1b3/projects/my-project/locations/europe-west1/jobs/${id}`, body: { requestedState: "JOB_STATE_CANCELLED" } })]);
    expect(jobEndError(outcome, id, "link")?.code).toBe("BL_CANCELLED");
  });

  test("following is bounded: a job that does not end within the time given is reported, not waited on for ever", async () => {
    const { api, id } = await jobOn({ states: ["JOB_STATE_RUNNING"] });
    const started = Date.now();
    const e = await followJob(api, id, { pollIntervalMs: 20, timeoutMs: 150 }).then(() => null, (x: unknown) => x as BeamlineError);
    expect(e?.code).toBe("BL_DATAFLOW_FOLLOW_TIMEOUT");
    expect(e?.value).toBe("JOB_STATE_RUNNING");
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test("a passing outage of the API is ridden out; a lasting one ends following with the API's error", async () => {
    const passing = await jobOn({ states: ["JOB_STATE_RUNNING", "JOB_STATE_DONE"], unavailable: [1, 2] });
    await expect(followJob(passing.api, passing.id, { pollIntervalMs: 5 })).resolves.toMatchObject({ state: "JOB_STATE_DONE" });
    const lasting = await jobOn({ states: ["JOB_STATE_RUNNING", "JOB_STATE_DONE"], unavailable: [1, 2, 3, 4] });
    const e = await followJob(lasting.api, lasting.id, { pollIntervalMs: 5, retries: 2 }).then(() => null, (x: unknown) => x as DataflowApiError);
    expect(e).toBeInstanceOf(DataflowApiError);
    expect(e!.retriable).toBe(true);
    expect(e!.value).toBe(503);
    expect(e!.message).toContain("reading the job's state failed: The service is currently unavailable.");
  });

  test("an API error names the call, the status and what to check", async () => {
    const { api } = await jobOn({ states: ["JOB_STATE_DONE"] });
    const e = await api.get("no-such-job").then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(DataflowApiError);
    expect((e as DataflowApiError).value).toBe(404);
    expect((e as DataflowApiError).message).toContain("job no-such-job not found");
    expect((e as DataflowApiError).fix).toContain("--project and --region");
  });
});
