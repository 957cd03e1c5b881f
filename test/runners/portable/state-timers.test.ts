/**
 * User state and timers on the Fn API: a stateful ParDo's Runner API payload (state specs over the
 * bag protocol, timer family specs with the timer coder, KV input, the stateful requirement), the
 * timer coder's bytes, and the state requests cells send through a StateChannel to a BeamFnState
 * service (clear and rewrite, or append only) with their values read back.
 */
import * as grpc from "@grpc/grpc-js";
import {
  BeamlineError, create, type MapState, type OrderedListState, parDo, Pipeline, type SetState, state, sum, timer, UserCodeError,
} from "beamline";
import { coderFromProto, CoderProto, TimerValue } from "../../../runners/portable/coders/coders";
import { beamProtos } from "../../../runners/portable/model/protos";
import { translate } from "../../../runners/portable/translate";
import { BAG_USER_STATE_URN, STATEFUL_PARDO_REQUIREMENT } from "../../../runners/portable/translate-stateful";
import { WINDOW_EXPIRATION_TIMER } from "../../../runners/portable/model/payloads";
import { StateChannel } from "../../../runners/portable/harness/channels";
import { cellHandle } from "../../../runners/runtime/state/cells";
import { bagUserStateKey, CachedBag, CrossBundleStateCache, decodeBagValues, encodeBagValues, UserStateCache } from "../../../runners/portable/harness/state";
import { ByteReader, ByteWriter } from "../../../runners/portable/coders/wire";
import { describeWith } from "./requirements";
import { thrownBy } from "../../helpers";

const ENV = { urn: "beam:env:external:v1", payload: new Uint8Array() };

describeWith(["mvn", "java"], "user state and timers on the Fn API", () => {
  const protos = beamProtos();

  test("a stateful ParDo declares its cells over the bag protocol, its timers with the timer coder, and KV input", () => {
    const p = new Pipeline();
    p.apply("Pairs", create([{ key: "a", value: 1 }])).apply(
      "Count",
      parDo<{ key: string; value: number }, number>({
        state: { n: state.value<number>(), seen: state.bag<number>(), total: state.combining(sum()), m: state.map<string, number>(), s: state.set<number>(), o: state.orderedList<number>() },
        timers: { flush: timer.eventTime(), tick: timer.processingTime() },
        process() {},
        onTimer() {},
      } as never),
    );
    const { pipeline } = translate(p.graph(), protos, { environment: ENV, fingerprint: "f", runner: "test" });
    const c = pipeline.components as any;
    expect(pipeline.requirements).toEqual([STATEFUL_PARDO_REQUIREMENT]);
    const payload = protos.decode("pipeline.ParDoPayload", c.transforms.Count.spec.payload);
    const specs = payload.stateSpecs;
    expect(Object.keys(specs).sort()).toEqual(["m", "n", "o", "s", "seen", "total"]);
    for (const s of Object.values(specs) as any[]) expect(s.protocol.urn).toBe(BAG_USER_STATE_URN);
    expect(specs.n.readModifyWriteSpec).toBeDefined();
    expect(specs.seen.bagSpec).toBeDefined();
    expect(specs.total.combiningSpec.combineFn.urn).toBe("beamline:state_combine_fn:v1");
    expect(specs.m.mapSpec).toBeDefined();
    expect(specs.s.setSpec).toBeDefined();
    expect(specs.o.orderedListSpec).toBeDefined();
    expect(payload.timerFamilySpecs.flush.timeDomain).toBe("EVENT_TIME");
    expect(payload.timerFamilySpecs.tick.timeDomain).toBe("PROCESSING_TIME");
    const timerCoder = c.coders[payload.timerFamilySpecs.flush.timerFamilyCoderId];
    expect(timerCoder.spec.urn).toBe("beam:coder:timer:v1");
    const input = c.pcollections[c.transforms.Count.inputs.main];
    const kv = c.coders[input.coderId];
    expect(kv.spec.urn).toBe("beam:coder:kv:v1");
    // The timer's key coder is the input's key coder; its window coder the input's window coder.
    expect(timerCoder.componentCoderIds[0]).toBe(kv.componentCoderIds[0]);
    expect(timerCoder.componentCoderIds[1]).toBe(c.windowingStrategies[input.windowingStrategyId].windowCoderId);
    expect(payload.timerFamilySpecs[WINDOW_EXPIRATION_TIMER]).toBeUndefined();

    // A DoFn with onWindowExpiration gets an event-time timer family for it.
    const expiring = translate(p.graph(), protos, { environment: ENV, fingerprint: "f", runner: "test", windowExpiration: ["Count"] });
    const withExpiry = protos.decode("pipeline.ParDoPayload", (expiring.pipeline.components as any).transforms.Count.spec.payload);
    expect(withExpiry.timerFamilySpecs[WINDOW_EXPIRATION_TIMER].timeDomain).toBe("EVENT_TIME");
  });

  test("the timer coder writes key, tag, windows, clear bit, firing and hold timestamps and pane as Beam does", () => {
    const coders: Record<string, CoderProto> = {
      s: { spec: { urn: "beam:coder:string_utf8:v1" } },
      w: { spec: { urn: "beam:coder:interval_window:v1" } },
      t: { spec: { urn: "beam:coder:timer:v1" }, componentCoderIds: ["s", "w"] },
    };
    const coder = coderFromProto("t", coders, protos);
    const window = { start: 0, end: 60_000, global: false };
    const set: TimerValue = { userKey: "k", dynamicTimerTag: "", windows: [window], clearBit: false, fireTimestamp: 59_999, holdTimestamp: 59_999 };
    const w = new ByteWriter();
    coder.encode(set, w, true);
    const bytes = w.finish();
    // "k" nested, empty tag, one window (int32), the window (its end as a shifted big-endian int64, then its span as a varint), no clear bit.
    expect(bytes.subarray(0, 7).toString("hex")).toBe("016b0000000001");
    const windowBytes = bytes.subarray(7, 7 + 8 + 3);
    expect(windowBytes.subarray(0, 8).toString("hex")).toBe((0x8000000000000000n + 60_000n).toString(16));
    expect(windowBytes.subarray(8).toString("hex")).toBe("e0d403");
    expect(bytes[18]).toBe(0);
    // Firing and hold timestamps as shifted big-endian int64s, then the no-firing pane.
    const ts = (0x8000000000000000n + 59_999n).toString(16);
    expect(bytes.subarray(19, 27).toString("hex")).toBe(ts);
    expect(bytes.subarray(27, 35).toString("hex")).toBe(ts);
    expect(bytes.subarray(35).toString("hex")).toBe("0f");
    const back = coder.decode(new ByteReader(bytes), true) as TimerValue;
    expect(back).toMatchObject({ userKey: "k", dynamicTimerTag: "", clearBit: false, fireTimestamp: 59_999, holdTimestamp: 59_999 });
    expect(back.windows).toEqual([window]);

    const cw = new ByteWriter();
    coder.encode({ userKey: "k", dynamicTimerTag: "", windows: [window], clearBit: true }, cw, true);
    const cleared = cw.finish();
    // A cleared timer ends at its clear bit.
    expect(cleared.length).toBe(19);
    expect(cleared[18]).toBe(1);
    expect(coder.decode(new ByteReader(cleared), true)).toMatchObject({ userKey: "k", clearBit: true });
  });

  test("a BagUserState request encodes as the Fn API's StateRequest, and bag values round-trip", () => {
    const key = bagUserStateKey("Count", "n", Buffer.from([1, 2]), Buffer.from([3]));
    const req = { id: "s1", instructionId: "b1", stateKey: key, append: { data: encodeBagValues([1, "two", { three: 3 }]) } };
    const back = protos.decode("fn.StateRequest", protos.encode("fn.StateRequest", req));
    expect(back.stateKey.bagUserState).toMatchObject({ transformId: "Count", userStateId: "n" });
    expect(Buffer.from(back.stateKey.bagUserState.window)).toEqual(Buffer.from([1, 2]));
    expect(Buffer.from(back.stateKey.bagUserState.key)).toEqual(Buffer.from([3]));
    expect(decodeBagValues(Buffer.from(back.append.data))).toEqual([1, "two", { three: 3 }]);
  });

  describe("cells over a BeamFnState service", () => {
    let server: grpc.Server;
    let channel: StateChannel;
    const bags = new Map<string, Buffer[]>();
    const log: string[] = [];
    beforeAll(async () => {
      server = new grpc.Server();
      server.addService(protos.service("fn.BeamFnState"), {
        State: (call: grpc.ServerDuplexStream<any, any>) => {
          call.on("data", (req: any) => {
            const k = req.stateKey.bagUserState;
            const id = `${k.transformId}/${k.userStateId}/${Buffer.from(k.key).toString("hex")}`;
            const op = req.request as string;
            log.push(`${op} ${k.userStateId}`);
            if (op === "get") call.write({ id: req.id, get: { data: Buffer.concat(bags.get(id) ?? []) } });
            else if (op === "append") {
              bags.set(id, [...(bags.get(id) ?? []), Buffer.from(req.append.data)]);
              call.write({ id: req.id, append: {} });
            } else if (op === "clear") {
              bags.delete(id);
              call.write({ id: req.id, clear: {} });
            }
          });
          call.on("end", () => call.end());
        },
      });
      const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
      channel = new StateChannel(protos, `127.0.0.1:${port}`, "w1");
    });
    afterAll(() => {
      channel?.close();
      server?.forceShutdown();
    });

    test("appends when a cell only grew, clears and rewrites when it was replaced, and reads back in the next bundle", async () => {
      const specs = { n: state.value<number>(), seen: state.bag<number>(), total: state.combining(sum()), m: state.map<string, number>(), s: state.set<number>(), o: state.orderedList<string>() };
      const access = { channel: () => channel, instructionId: () => "b1", cache: () => null };
      const bundle = async (f: (cells: any) => void) => {
        const cache = new UserStateCache("Count", specs, access);
        await cache.load("k", Buffer.from([0]), Buffer.from([1]));
        f(cache.cells("k"));
        log.length = 0;
        await cache.flush();
        return [...log].sort();
      };
      expect(
        await bundle((c) => {
          c.n.write(1);
          c.seen.add(5);
          c.seen.add(6);
          c.total.add(5);
          c.m.put("a", 1);
          c.s.add(3);
          c.s.add(3);
          c.o.add(20, "late");
          c.o.add(10, "early");
        }),
      ).toEqual(["append m", "append o", "append s", "append seen", "append total", "clear n", "append n", "clear total"].sort());
      expect(
        await bundle((c) => {
          expect(c.n.read()).toBe(1);
          expect(c.seen.read()).toEqual([5, 6]);
          expect(c.total.read()).toBe(5);
          expect(c.m.get("a")).toBe(1);
          expect(c.s.read()).toEqual([3]);
          expect(c.o.read().map((e: { value: string }) => e.value)).toEqual(["early", "late"]);
          c.seen.add(7);
          c.m.put("a", 2);
          c.m.put("b", 3);
          c.o.clearRange(0, 15);
        }),
      ).toEqual(["append m", "append seen", "append o", "clear o"].sort());
      await bundle((c) => {
        expect(c.seen.read()).toEqual([5, 6, 7]);
        expect(c.m.entries()).toEqual([["a", 2], ["b", 3]]);
        expect(c.o.read()).toEqual([{ timestamp: 20, value: "late" }]);
        c.n.clear();
        c.s.remove(3);
      });
      await bundle((c) => {
        expect(c.n.read()).toBeUndefined();
        expect(c.s.isEmpty()).toBe(true);
      });
      // Nothing changed: nothing written.
      expect(await bundle(() => {})).toEqual([]);
    });

    test("under the runner's cache token, a later bundle reads its cells from the harness's cache, not the runner", async () => {
      const specs = { n: state.value<number>(), seen: state.bag<string>() };
      const caches = new CrossBundleStateCache();
      const token = Buffer.from("token-1");
      const run = async (tok: Buffer | null, f: (cells: any) => void) => {
        const cache = caches.forToken(tok);
        const c = new UserStateCache("Cached", specs, { channel: () => channel, instructionId: () => "b2", cache: () => cache });
        log.length = 0;
        await c.load("k", Buffer.from([0]), Buffer.from([2]));
        f(c.cells("k"));
        await c.flush();
        return [...log].sort();
      };
      expect(await run(token, (c) => c.seen.add("a"))).toEqual(["append seen", "get n", "get seen"]);
      // The same token: no reads; the cached bag includes this harness's own writes.
      expect(
        await run(token, (c) => {
          expect(c.seen.read()).toEqual(["a"]);
          c.n.write(2);
          const read = c.seen.read();
          read.push("not written back");
        }),
      ).toEqual(["append n", "clear n"]);
      expect(await run(token, (c) => expect([c.n.read(), c.seen.read()]).toEqual([2, ["a"]]))).toEqual([]);
      // Another token, or none, or after a failure: read from the runner again.
      expect(await run(Buffer.from("token-2"), (c) => expect(c.seen.read()).toEqual(["a"]))).toEqual(["get n", "get seen"]);
      expect(await run(null, () => {})).toEqual(["get n", "get seen"]);
      caches.clear();
      expect(await run(token, () => {})).toEqual(["get n", "get seen"]);
    });
  });
});

describe("state cells over a bag", () => {
  test("map, set and ordered-list cells read their bag's latest contents after appends and rewrites", () => {
    const mapBag = new CachedBag({}, "m");
    const m = cellHandle("m", state.map<string, number>(), mapBag) as MapState<string, number>;
    for (let i = 0; i < 1000; i++) m.put(`k${i % 10}`, i);
    expect(m.get("k3")).toBe(993);
    expect(m.keys()).toEqual(Array.from({ length: 10 }, (_, i) => `k${i}`));
    m.remove("k3");
    expect(m.has("k3")).toBe(false);
    expect(m.putIfAbsent("k3", 7)).toBeUndefined();
    expect(m.get("k3")).toBe(7);
    expect(mapBag.read().length).toBe(10);

    const s = cellHandle("s", state.set<number>(), new CachedBag({}, "s")) as SetState<number>;
    for (let i = 0; i < 1000; i++) s.add(i % 7);
    expect(s.read().sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(s.addIfAbsent(3)).toBe(false);
    s.remove(3);
    expect(s.has(3)).toBe(false);
    expect(s.addIfAbsent(3)).toBe(true);

    const l = cellHandle("l", state.orderedList<string>(), new CachedBag({}, "l")) as OrderedListState<string>;
    l.add(30, "c");
    l.add(10, "a");
    expect(l.read().map((e) => e.value)).toEqual(["a", "c"]);
    l.add(20, "b");
    expect(l.readRange(15, 31).map((e) => e.value)).toEqual(["b", "c"]);
    l.clearRange(0, 15);
    expect(l.read().map((e) => e.value)).toEqual(["b", "c"]);
  });

  test("an ordered list over a bag refuses a NaN timestamp, naming value, rule and fix, and leaves the bag unwritten", () => {
    const bag = new CachedBag({}, "l");
    const l = cellHandle("l", state.orderedList<string>(), bag) as OrderedListState<string>;
    const err = thrownBy(() => l.add(NaN, "x"));
    expect(err).toBeInstanceOf(UserCodeError);
    expect((err as BeamlineError).code).toBe("BL_BAD_ORDERED_LIST_TIMESTAMP");
    expect((err as BeamlineError).value).toBe("NaN");
    expect((err as BeamlineError).fix).toBeTruthy();
    expect(bag.dirty).toBe(false);
    expect(bag.read()).toEqual([]);
  });
});
