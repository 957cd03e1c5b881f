/** Credentials of Dataflow API calls: Application Default Credentials over https, none to a plain-http fake. */
import { DataflowApiError, DataflowJobsApi } from "../../../runners/dataflow/jobs-api";
import { startFakeDataflow } from "./fake-dataflow";

describe("Dataflow API credentials", () => {
  const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  afterEach(() => {
    if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
  });

  test("https calls take Application Default Credentials; without usable ones the call fails before it is sent, saying how to log in", async () => {
    process.env.GOOGLE_APPLICATION_CREDENTIALS = "/nonexistent/beamline-key.json";
    const api = new DataflowJobsApi("https://dataflow.googleapis.com/", "my-project", "us-central1");
    const e = await api.get("job").then(() => null, (x: unknown) => x as DataflowApiError);
    expect(e).toBeInstanceOf(DataflowApiError);
    expect(e!.code).toBe("BL_DATAFLOW_CREDENTIALS");
    expect(e!.fix).toContain("gcloud auth application-default login");
  });

  test("plain-http roots (a fake or an emulator) get no credentials", async () => {
    process.env.GOOGLE_APPLICATION_CREDENTIALS = "/nonexistent/beamline-key.json";
    const fake = await startFakeDataflow({ states: ["JOB_STATE_DONE"] });
    try {
      const api = new DataflowJobsApi(fake.url, "my-project", "us-central1");
      const { id } = await api.create({ name: "x" });
      await expect(api.get(id)).resolves.toMatchObject({ currentState: "JOB_STATE_DONE" });
      expect(fake.calls.map((c) => c.authorization)).toEqual([undefined, undefined]);
    } finally {
      await fake.stop();
    }
  });
});
