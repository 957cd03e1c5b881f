/**
 * The PROCESS boot command's arguments (quoted values as Prism passes them) and the report directory
 * through which a failing worker's error reaches the submitting process.
 */
import * as fs from "node:fs";
import { parseBootArgs } from "../../../runners/portable/boot-args";
import { provisionedOption } from "../../../runners/portable/provisioned-option";
import { WORKER_REPORTS_ENV, watchWorkerReports, writeWorkerReport } from "../../../runners/portable/worker-reports";
import { tempDir } from "../../helpers";

test("boot arguments lose matching quotes, and keep everything else as given", () => {
  expect(parseBootArgs(["--id='job-001[x]_env'", "--provision_endpoint=localhost:1", '--a="q"', "--b='open", "--c=", "--d=x=y", "stray"])).toEqual({
    id: "job-001[x]_env",
    provision_endpoint: "localhost:1",
    a: "q",
    b: "'open",
    c: "",
    d: "x=y",
  });
});

test("a worker's error left in the watched directory reaches the watcher; stopping removes the directory", async () => {
  const watch = watchWorkerReports(tempDir(), 20);
  writeWorkerReport("worker failed: not registered", { [WORKER_REPORTS_ENV]: watch.dir });
  await expect(watch.failure).resolves.toBe("worker failed: not registered");
  watch.stop();
  expect(fs.existsSync(watch.dir)).toBe(false);
  // Without the variable, or once the directory is gone, a worker writes nothing and does not throw.
  expect(() => writeWorkerReport("x", {})).not.toThrow();
  expect(() => writeWorkerReport("x", { [WORKER_REPORTS_ENV]: watch.dir })).not.toThrow();
});

test("the staged pipeline option is found as Beam's job services provide it and as Dataflow does (inside `options`)", () => {
  const spec = '{"module":"pipeline-1.js","options":{}}';
  expect(provisionedOption({ "beam:option:beamline_pipeline:v1": { stringValue: spec } }, "beamline_pipeline")).toBe(spec);
  expect(provisionedOption({ display_data: {}, options: { structValue: { fields: { project: { stringValue: "p" }, beamline_pipeline: { stringValue: spec } } } } }, "beamline_pipeline")).toBe(spec);
  expect(provisionedOption({ options: { structValue: { fields: { project: { stringValue: "p" } } } } }, "beamline_pipeline")).toBeUndefined();
  expect(provisionedOption({ "beam:option:beamline_pipeline:v1": { stringValue: "" } }, "beamline_pipeline")).toBeUndefined();
});
