/** A Dataflow job's user metrics as the counters per transform the other runners report. */
import { countersFromMetrics } from "../../../runners/dataflow/job-metrics";
import { DataflowJobsApi, type DataflowMetricUpdate } from "../../../runners/dataflow/jobs-api";
import { startFakeDataflow } from "./fake-dataflow";

const METRICS: DataflowMetricUpdate[] = [
  { name: { origin: "user", name: "seen", context: { step: "Count", namespace: "beamline" } }, scalar: 3 },
  { name: { origin: "user", name: "seen", context: { step: "Count", namespace: "beamline", tentative: "true" } }, scalar: 4 },
  { name: { origin: "user", name: "sizes", context: { step: "Words", namespace: "beamline" } }, distribution: { count: "2", sum: "11" } },
  { name: { origin: "dataflow/v1b3", name: "ElementCount", context: { output_user_name: "Count.out" } }, scalar: 3 },
];

test("committed user counters and distributions by transform; tentative values and Dataflow's own metrics left out", () => {
  const counters = countersFromMetrics(METRICS);
  expect([...counters].map(([step, m]) => [step, Object.fromEntries(m)])).toEqual([
    ["Count", { seen: 3 }],
    ["Words", { "sizes.count": 2, "sizes.sum": 11 }],
  ]);
});

test("jobs.getMetrics is read from the job's metrics resource", async () => {
  const fake = await startFakeDataflow({ states: ["JOB_STATE_DONE"], metrics: METRICS });
  try {
    const api = new DataflowJobsApi(fake.url, "my-project", "us-central1");
    const { id } = await api.create({ name: "x" });
    expect(await api.metrics(id)).toEqual(METRICS);
    expect(fake.calls[1]).toMatchObject({ method: "GET", path: `/v1b3/projects/my-project/locations/us-central1/jobs/${id}/metrics` });
  } finally {
    await fake.stop();
  }
});
