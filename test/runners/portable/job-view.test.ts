/**
 * What the web UI shows of a portable job, from what the job service reports: the state, the messages
 * (errors among the run's errors), and rows in and out per transform from the element counts of the
 * PCollections each transform reads and writes.
 */
import { count, create, definePipeline, groupBy, buildPipeline } from "beamline";
import { PortableJobView } from "../../../runners/portable/job-view";
import { encodeSumInt64 } from "../../../runners/portable/harness/metrics";
import { uiStatus } from "../../../runners/metrics/ui";

const counted = definePipeline({
  build(p) {
    p.apply("Rows", create([{ k: 1 }, { k: 2 }, { k: 1 }]))
      .map((r: { k: number }) => ({ k: r.k * 10 }), { name: "Times10" })
      .apply("Count", groupBy<{ k: number }>("k").aggregate({ n: count() }));
  },
});

test("element counts become rows out of each PCollection's producer and rows in of its consumers; state and messages as reported", () => {
  const graph = buildPipeline(counted, {}).graph();
  const view = new PortableJobView(graph, "prism");
  const produced = (name: string) => Object.values(graph.transforms[name].outputs)[0];
  const timesOut = produced("Times10");
  const rowsOut = graph.transforms[graph.pcollections[Object.values(graph.transforms.Times10.inputs)[0]].producer];
  const info = (pc: string, n: number) => ({ urn: "beam:metric:element_count:v1", type: "beam:metrics:sum_int64:v1", payload: encodeSumInt64(n), labels: { PCOLLECTION: pc } });
  view.jobId = "job-1";
  view.onState("RUNNING");
  view.onMetrics([info(Object.values(rowsOut.outputs)[0], 3), info(timesOut, 3), { urn: "beam:metric:user:sum_int64:v1", type: "beam:metrics:sum_int64:v1", payload: encodeSumInt64(7), labels: { PTRANSFORM: "Times10", NAMESPACE: "x", NAME: "y" } }]);
  view.onMessage({ importance: "JOB_MESSAGE_ERROR", text: "a worker failed" });
  const run = view.uiRun("counted", { runner: "prism" });
  const status = uiStatus(view.live, run);
  const times10 = status.transforms.find((t) => t.transform === "Times10")!;
  expect(times10).toMatchObject({ rowsIn: 3, rowsOut: 3, instances: 1, watermark: null });
  expect(status.transforms.find((t) => t.transform === rowsOut.uniqueName)).toMatchObject({ rowsOut: 3 });
  expect(status.state).toBe("running");
  expect(status.job).toMatchObject({ runner: "prism", jobId: "job-1", state: "RUNNING", messages: [{ importance: "error", text: "a worker failed" }] });
  expect(status.errors.map((e) => e.message)).toEqual(["a worker failed"]);
  // Every primitive transform of the graph is in the picture, in one stage (the runner fuses them).
  expect(run.graph.nodes.map((n) => n.name)).toEqual(expect.arrayContaining(["Times10", rowsOut.uniqueName]));
  expect(new Set(run.graph.nodes.map((n) => n.stage))).toEqual(new Set([0]));
  expect(run.graphSvg).toContain("<svg");
  view.onState("DONE");
  expect(uiStatus(view.live, run).state).toBe("done");
  view.onState("FAILED");
  expect(uiStatus(view.live, run).state).toBe("failed");
});
