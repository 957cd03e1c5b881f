/**
 * The "pardo" role: a ParDo of the graph run by a DoFn invoker set up once per processor, with its
 * side inputs fetched through the state API, window by window, as its input needs them.
 */
import type * as arrow from "apache-arrow";
import type { ElementBatch } from "../../../../sdk/batch";
import { ParDoInvoker } from "../../../../sdk/invoker";
import { DEFAULT_METRICS_NAMESPACE, withMetricsContainer } from "../../../../sdk/metrics";
import type { ParDoFn } from "../../../../sdk/pardo";
import { graphSchema } from "../../../../sdk/pipeline";
import { GLOBAL_WINDOW, sideInputWindow, Window, WindowFnSpec } from "../../../../sdk/window";
import { encodeOne } from "../../coders/coders";
import { ByteReader } from "../../coders/wire";
import { Elements, RowBatch, toElementBatch } from "../elements/elements";
import type { RoleContext, RoleOperator, RoleStep } from "./role-context";

/** Runs the ParDo of graph transform `payload.transform` on each batch of its main input. */
export async function pardo(ctx: RoleContext, { id, t, payload, sideTags }: RoleStep): Promise<RoleOperator> {
  const graph = ctx.graph;
  const gt = graph.transforms[payload.transform];
  const outputSchemas: Record<string, arrow.Schema | null> = {};
  for (const [tag, pc] of Object.entries(gt.outputs)) outputSchemas[tag] = ctx.schemaOf(pc);
  let invoker = ctx.setups.get(id);
  if (!invoker) {
    // Retries and dead letters are reported as counters of the transform, as on the direct runner.
    const count = (counter: string, n: number) => ctx.metricsOf(payload.transform).addCounter(DEFAULT_METRICS_NAMESPACE, counter, n);
    invoker = new ParDoInvoker(payload.transform, ctx.fn<ParDoFn>(payload.transform), outputSchemas, undefined, undefined, count);
    await invoker.setup();
    ctx.setups.set(id, invoker);
  }
  const inv = invoker;
  const inputSchema = ctx.schemaOf(gt.inputs.main);
  const sides = sideTags.map((tag) => {
    const pc = t.inputs[tag];
    const gpc = graph.pcollections[gt.inputs[tag]];
    return { tag, name: tag.slice(5), pc, windowFn: graph.windowingStrategies[gpc.windowing].windowFn, schema: gpc ? graphSchema(gpc) : null, fetched: new Map<string, RowBatch>() };
  });
  const mainPc = t.inputs.main;
  const emit = (tag: string, out: Elements) => {
    const r = ctx.emit(t.outputs[tag], out);
    if (r) pending.push(r);
  };
  let pending: (Promise<void> | void)[] = [];
  return {
    process: async (pc, b) => {
      if (pc !== mainPc) return;
      const batch = toElementBatch(b, inputSchema, `input of transform "${payload.transform}"`);
      for (const s of sides) await loadSide(ctx, id, s, batch);
      pending = [];
      withMetricsContainer(ctx.metricsOf(payload.transform), () => inv.processBatch(batch, emit));
      for (const p of pending) await p;
    },
    // The harness cannot tell the end of a ParDo's input: the end of a bundle stands for it, and
    // the dead-letter guard checks its ratio over everything this harness processed so far.
    finish: () => inv.finish(),
  };
}

/** Fetches the side input windows a batch needs through the state API and hands them to the invoker. */
async function loadSide(
  ctx: RoleContext,
  transformId: string,
  s: { tag: string; name: string; pc: string; windowFn: WindowFnSpec; schema: arrow.Schema | null; fetched: Map<string, RowBatch> },
  batch: ElementBatch,
): Promise<void> {
  const inv = ctx.setups.get(transformId)!;
  const needed = new Map<string, Window>();
  const n = batch.data.numRows;
  for (let i = 0; i < n; i++) {
    const main: Window = batch.windows.kind === "global" ? GLOBAL_WINDOW : { start: batch.windows.start[i], end: batch.windows.end[i], global: false };
    const w = sideInputWindow(s.windowFn, main);
    needed.set(w.global ? "g" : `${w.start}:${w.end}`, w);
  }
  let changed = false;
  const pcProto = ctx.descriptor.pcollections[s.pc];
  const ws = ctx.descriptor.windowingStrategies[pcProto.windowingStrategyId];
  const windowCoder = ctx.coder(ws.windowCoderId);
  const elementCoder = ctx.coder(pcProto.coderId);
  for (const [key, w] of needed) {
    if (s.fetched.has(key)) continue;
    const stateKey = {
      iterableSideInput: { transformId, sideInputId: s.tag, window: encodeOne(windowCoder, w) },
    };
    const bytes = await ctx.channels.state(ctx.descriptor.stateApiServiceDescriptor.url).readAll(ctx.instructionId(), stateKey);
    const rows: unknown[] = [];
    const r = new ByteReader(bytes);
    while (!r.done) rows.push(elementCoder.decode(r, true));
    const windows = w.global
      ? ({ kind: "global" } as const)
      : ({ kind: "interval", start: new Float64Array(rows.length).fill(w.start), end: new Float64Array(rows.length).fill(w.end) } as const);
    s.fetched.set(key, { rows, timestamps: new Float64Array(rows.length), windows });
    changed = true;
  }
  if (!changed && s.fetched.size > 0) return;
  const batches = [...s.fetched.values()]
    .filter((rb) => rb.rows.length > 0)
    .map((rb) => toElementBatch(rb, s.schema, `side input "${s.name}"`));
  inv.setSideInput(s.name, { windowFn: s.windowFn, batches });
}
