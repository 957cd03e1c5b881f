/**
 * What the web UI shows of a portable run (`--ui-port` with Flink, Prism or any job service): the
 * pipeline's graph (the runner fuses it itself), the job's state and messages as the job service
 * streams them, and per transform the rows in and out the runner reports in the job's metrics (the
 * element counts of the PCollections each transform reads and writes, which Beamline's SDK harness
 * reports with every bundle), polled while the job runs.
 */
import type { PipelineGraph } from "../../sdk/graph";
import { MIN_TIMESTAMP } from "../../sdk/time";
import { graphPicture, pictureSvg as pictureSvgOf } from "../metrics/graph-picture";
import { LiveMetrics } from "../metrics/live";
import { FIELD, TRANSFORM_FIELDS } from "../metrics/sample";
import type { UiJob, UiRun } from "../metrics/ui";
import { ByteReader } from "./coders/wire";
import type { MonitoringInfo } from "./harness/metrics";
import type { JobMessage } from "./jobclient";

/** The URN of a PCollection's element count. */
export const ELEMENT_COUNT_URN = "beam:metric:element_count:v1";

/** How many of the job's latest messages the view keeps. */
const MAX_MESSAGES = 50;

/** The live view of one portable job. */
export class PortableJobView {
  /** The metrics the UI reads: one "instance" (the runner's report), its transforms' rows. */
  readonly live = new LiveMetrics();
  /** The job's id, once submitted. */
  jobId = "";
  /** The job's state as the job service reports it (`STOPPED`, `RUNNING`, `DONE`, …). */
  state = "STARTING";
  private readonly messages: UiJob["messages"][number][] = [];
  private readonly transforms: string[];
  private readonly producer = new Map<string, string>();
  private readonly consumers = new Map<string, string[]>();

  constructor(private readonly graph: PipelineGraph, readonly runner: string) {
    const picture = graphPicture(graph);
    this.transforms = picture.nodes.map((n) => n.name);
    for (const name of this.transforms) {
      const t = graph.transforms[name];
      for (const pc of Object.values(t.outputs)) this.producer.set(pc, name);
      for (const pc of Object.values(t.inputs)) this.consumers.set(pc, [...(this.consumers.get(pc) ?? []), name]);
    }
  }

  /** Hears a state change of the job. */
  onState(state: string): void {
    this.state = state;
    this.live.state = state === "DONE" ? "done" : state === "FAILED" || state === "CANCELLED" ? "failed" : "running";
  }

  /** Hears a message of the job; errors are shown as the run's errors too. */
  onMessage(m: JobMessage): void {
    this.messages.push({ at: Date.now(), importance: m.importance.replace("JOB_MESSAGE_", "").toLowerCase(), text: m.text });
    if (this.messages.length > MAX_MESSAGES) this.messages.shift();
    if (/ERROR/.test(m.importance)) this.live.failed(m.text);
  }

  /** Takes the job's metrics as the runner reports them (attempted values, or committed ones from a runner that reports only those): rows in and out per transform. */
  onMetrics(infos: readonly MonitoringInfo[]): void {
    const stride = TRANSFORM_FIELDS.length;
    const index = new Map(this.transforms.map((t, i) => [t, i]));
    const values = new Array<number>(this.transforms.length * stride).fill(0);
    for (const info of infos) {
      if (info.urn !== ELEMENT_COUNT_URN) continue;
      const pc = info.labels?.PCOLLECTION;
      if (pc === undefined) continue;
      const n = Number(new ByteReader(Buffer.from(info.payload ?? [])).varint());
      const out = index.get(this.producer.get(pc) ?? "");
      if (out !== undefined) values[out * stride + FIELD.rowsOut] += n;
      for (const c of this.consumers.get(pc) ?? []) values[index.get(c)! * stride + FIELD.rowsIn] += n;
    }
    this.live.record({ instance: 0, at: Date.now(), transforms: this.transforms, values, watermarks: this.transforms.map(() => MIN_TIMESTAMP), counters: [], backlog: [], user: [] });
  }

  /** The job as the UI shows it. */
  job(): UiJob {
    return { runner: this.runner, jobId: this.jobId, state: this.state, messages: [...this.messages] };
  }

  /** What the UI shows of the run beyond its live metrics. */
  uiRun(pipeline: string, options: Readonly<Record<string, unknown>>): UiRun {
    const picture = graphPicture(this.graph);
    return {
      pipeline,
      graphSvg: pictureSvgOf(picture),
      graph: { nodes: picture.nodes.map(({ name, kind, stage }) => ({ name, kind, stage })), edges: picture.edges.map(({ from, to, exchange }) => ({ from, to, exchange })) },
      options,
      job: () => this.job(),
    };
  }
}
