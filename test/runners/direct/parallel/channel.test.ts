import { MessageChannel } from "node:worker_threads";
import { ChannelMessage, ChannelReceiver, ChannelSender } from "../../../../runners/direct/parallel/channel";

describe("bounded channel", () => {
  test("a slow receiver holds the sender to the channel's capacity, and order is kept", async () => {
    const { port1, port2 } = new MessageChannel();
    const capacity = 3;
    const sender = new ChannelSender<number, string>(port1, capacity);
    const got: string[] = [];
    let sent = 0;
    let consumed = 0;
    let maxInFlight = 0;
    const receiver = new ChannelReceiver<number, string>(
      port2,
      async (m: ChannelMessage<number, string>) => {
        got.push(m.kind === "data" ? `d${m.body}` : `c${m.body}`);
        if (m.kind === "data") {
          await new Promise((r) => setTimeout(r, 2));
          consumed++;
        }
      },
      (e) => {
        throw e;
      },
    );
    for (let i = 0; i < 20; i++) {
      await sender.send(i);
      sent++;
      maxInFlight = Math.max(maxInFlight, sent - consumed);
      if (i % 5 === 4) sender.control(`w${i}`);
    }
    sender.control("end");
    while (got[got.length - 1] !== "cend") await new Promise((r) => setTimeout(r, 5));
    expect(maxInFlight).toBeLessThanOrEqual(capacity);
    expect(maxInFlight).toBe(capacity);
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      expected.push(`d${i}`);
      if (i % 5 === 4) expected.push(`cw${i}`);
    }
    expected.push("cend");
    expect(got).toEqual(expected);
    sender.close();
    receiver.close();
  });

  test("a failing consumer stops delivery and reports once", async () => {
    const { port1, port2 } = new MessageChannel();
    const sender = new ChannelSender<number, string>(port1, 10);
    const errors: unknown[] = [];
    const seen: number[] = [];
    const receiver = new ChannelReceiver<number, string>(
      port2,
      (m) => {
        if (m.kind === "data") {
          seen.push(m.body);
          if (m.body === 2) throw new Error("boom");
        }
      },
      (e) => errors.push(e),
    );
    for (let i = 0; i < 5; i++) await sender.send(i);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([0, 1, 2]);
    expect(errors).toHaveLength(1);
    sender.close();
    receiver.close();
  });

  test("a data message spends its cost in credits and the receiver returns that cost once it is consumed", async () => {
    const { port1, port2 } = new MessageChannel();
    const sender = new ChannelSender<string, string>(port1, 100);
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    const got: string[] = [];
    const receiver = new ChannelReceiver<string, string>(
      port2,
      async (m) => {
        got.push(m.body);
        if (m.body === "big") await held;
      },
      (e) => {
        throw e;
      },
    );
    sender.sendNow("small", [], 1);
    sender.sendNow("big", [], 90);
    expect(sender.available).toBe(9);
    sender.sendNow("over", [], 20); // a producer that checked for room may overshoot by one message
    expect(sender.available).toBe(-11);
    let room = false;
    const waited = sender.whenAvailable().then(() => (room = true));
    while (got.length < 2) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 20));
    expect(room).toBe(false); // "small" came back (1), "big" is still being consumed
    expect(sender.available).toBe(-10);
    release();
    await waited;
    while (sender.available < 100) await new Promise((r) => setTimeout(r, 2));
    expect(got).toEqual(["small", "big", "over"]);
    sender.close();
    receiver.close();
  });
});
