/** The Dataflow runner's options: each mistake refused with the option, the value, the rule and the fix; defaults filled in. */
import { OptionError, type DataflowRunOptions } from "beamline";
import { dataflowSettings, defaultJobName, DATAFLOW_ENDPOINT_ENV } from "../../../runners/dataflow/options";

const GOOD: DataflowRunOptions = { project: "my-project", region: "us-central1", tempLocation: "gs://my-bucket/tmp" };
const defaults = { jobBase: "wordcount", version: "0.1.0", env: {} };

function refusal(o: DataflowRunOptions): OptionError {
  try {
    dataflowSettings(o, defaults);
  } catch (e) {
    expect(e).toBeInstanceOf(OptionError);
    return e as OptionError;
  }
  throw new Error("expected the options to be refused");
}

describe("Dataflow options", () => {
  test("fills in the staging location, the job name, the SDK image and the API root", () => {
    const s = dataflowSettings(GOOD, defaults);
    expect(s).toMatchObject({
      stagingLocation: "gs://my-bucket/tmp/staging",
      sdkContainerImage: "us-central1-docker.pkg.dev/my-project/beamline/beamline-sdk:0.1.0",
      dataflowEndpoint: "https://dataflow.googleapis.com/",
      streaming: false,
      detach: false,
    });
    expect(s.jobName).toMatch(/^beamline-wordcount-\d{14}$/);
    expect(dataflowSettings({ ...GOOD, tempLocation: "gs://my-bucket/tmp/" }, defaults).tempLocation).toBe("gs://my-bucket/tmp");
  });

  test("the API root comes from the option, else from BEAMLINE_DATAFLOW_ENDPOINT", () => {
    expect(dataflowSettings(GOOD, { ...defaults, env: { [DATAFLOW_ENDPOINT_ENV]: "http://127.0.0.1:9000" } }).dataflowEndpoint).toBe("http://127.0.0.1:9000/");
    expect(dataflowSettings({ ...GOOD, dataflowEndpoint: "http://127.0.0.1:1/" }, { ...defaults, env: { [DATAFLOW_ENDPOINT_ENV]: "http://127.0.0.1:9000" } }).dataflowEndpoint).toBe("http://127.0.0.1:1/");
    expect(refusal({ ...GOOD, dataflowEndpoint: "dataflow.googleapis.com" }).where).toBe("--dataflow-endpoint");
  });

  test.each([
    [{ project: undefined }, "--project", "BL_DATAFLOW_OPTION_MISSING", "--project=YOUR-PROJECT-ID"],
    [{ region: undefined }, "--region", "BL_DATAFLOW_OPTION_MISSING", "--region=us-central1"],
    [{ tempLocation: undefined }, "--temp-location", "BL_DATAFLOW_OPTION_MISSING", "gs://YOUR-BUCKET/tmp"],
  ])("a missing required option is named with an example (%o)", (change, where, code, fix) => {
    const e = refusal({ ...GOOD, ...change });
    expect([e.where, e.code]).toEqual([where, code]);
    expect(e.fix).toContain(fix);
  });

  test.each([
    [{ tempLocation: "/tmp/beamline" }, "--temp-location", "/tmp/beamline", "Cloud Storage path"],
    [{ tempLocation: "s3://bucket/tmp" }, "--temp-location", "s3://bucket/tmp", "Cloud Storage path"],
    [{ stagingLocation: "staging" }, "--staging-location", "staging", "Cloud Storage path"],
    [{ project: "My Project" }, "--project", "My Project", "project id"],
    [{ region: "us-central1-a" }, "--region", "us-central1-a", "not a zone"],
    [{ maxWorkers: 0 }, "--max-workers", 0, "1 to 4000"],
    [{ maxWorkers: 2.5 }, "--max-workers", 2.5, "1 to 4000"],
    [{ serviceAccount: "runner" }, "--service-account", "runner", "e-mail"],
    [{ subnetwork: "default" }, "--subnetwork", "default", "regions/REGION/subnetworks/NAME"],
    [{ jobName: "Word_Count" }, "--job-name", "Word_Count", "lower-case"],
    [{ sdkContainerImage: "my image" }, "--sdk-container-image", "my image", "container image"],
  ])("refuses %o, naming the option, the value and the rule", (change, where, value, words) => {
    const e = refusal({ ...GOOD, ...change });
    expect(e.code).toBe("BL_DATAFLOW_OPTION");
    expect(e.where).toBe(where);
    expect(e.value).toBe(value);
    expect(`${e.rule} ${e.fix}`).toContain(words);
  });

  test("accepts domain-scoped projects, full subnetwork URLs and service accounts", () => {
    const s = dataflowSettings(
      { ...GOOD, project: "example.com:my-project", subnetwork: "https://www.googleapis.com/compute/v1/projects/p/regions/us-central1/subnetworks/s", serviceAccount: "runner@my-project.iam.gserviceaccount.com", maxWorkers: 4 },
      defaults,
    );
    expect(s.sdkContainerImage).toBe("us-central1-docker.pkg.dev/example.com/my-project/beamline/beamline-sdk:0.1.0");
    expect(s.maxWorkers).toBe(4);
  });

  test("a default job name is one Dataflow accepts, whatever the file is called", () => {
    expect(defaultJobName("My_Pipeline.v2", new Date("2026-12-07T06:00:00Z"))).toBe("beamline-my-pipeline-v2-20261207060000");
    expect(defaultJobName("2024", new Date("2026-12-07T06:00:00Z"))).toBe("beamline-pipeline-20261207060000");
  });
});
