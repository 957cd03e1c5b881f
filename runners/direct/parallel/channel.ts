/**
 * Bounded, credit-based channels between threads, over a `MessagePort`. The receiver grants the sender
 * `capacity` credits; each data message spends its cost (one by default; links make it a batch's
 * rows, so that small batches are not held back as large ones are), and the receiver returns it once
 * the message has been consumed. A sender out of credits waits, so a slow consumer slows its producers instead of
 * letting messages pile up in memory. Control messages (watermarks, barriers, end of input) cost no
 * credit but keep their order relative to data.
 */
import type { MessagePort } from "node:worker_threads";
import { BeamlineError } from "../../../sdk/errors";

/** A message on a channel. `data` messages are the only ones that spend credit. */
export type ChannelMessage<D, C> = { readonly kind: "data"; readonly body: D } | { readonly kind: "control"; readonly body: C };

interface Wire<D, C> {
  readonly m: ChannelMessage<D, C>;
  /** The credits a data message spent. */
  readonly c?: number;
}

/** The sending end of a channel. */
export class ChannelSender<D, C> {
  private credits: number;
  private waiting: (() => void)[] = [];
  private closed = false;

  /** @param port one end of a MessageChannel, whose other end a {@link ChannelReceiver} holds. */
  constructor(
    private readonly port: MessagePort,
    capacity: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new BeamlineError({ code: "BL_CHANNEL_CAPACITY", domain: "internal", value: capacity, rule: "a channel's capacity must be a positive integer" });
    }
    this.credits = capacity;
    port.on("message", (n: number) => {
      this.credits += n;
      while (this.credits > 0 && this.waiting.length > 0) {
        this.credits--;
        this.waiting.shift()!();
      }
    });
  }

  /** Credits left: data messages that can be sent without waiting. */
  get available(): number {
    return this.credits;
  }

  /** Resolves once a credit is available (at once if one is). */
  whenAvailable(): Promise<void> {
    if (this.credits > 0) return Promise.resolve();
    return new Promise<void>((resolve) =>
      this.waiting.push(() => {
        this.credits++; // only waiting for room, not spending it
        resolve();
      }),
    );
  }

  /**
   * Sends a data message now, spending a credit even when none is left (credits go negative): for
   * producers that check {@link whenAvailable} before producing, so overshoot is bounded by one step.
   */
  sendNow(body: D, transfer: ArrayBuffer[] = [], cost = 1): void {
    if (this.closed) throw new BeamlineError({ code: "BL_CHANNEL_CLOSED", domain: "internal", rule: "a closed channel was sent to" });
    this.credits -= cost;
    this.post({ m: { kind: "data", body }, c: cost }, transfer);
  }

  /** Sends a data message once a credit is available; `transfer` lists buffers to move instead of copy. */
  async send(body: D, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.closed) throw new BeamlineError({ code: "BL_CHANNEL_CLOSED", domain: "internal", rule: "a closed channel was sent to" });
    if (this.credits > 0) this.credits--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.post({ m: { kind: "data", body }, c: 1 }, transfer);
  }

  /** Sends a control message now, in order after the data sent before it. */
  control(body: C): void {
    this.post({ m: { kind: "control", body } }, []);
  }

  private post(w: Wire<D, C>, transfer: ArrayBuffer[]): void {
    this.port.postMessage(w, transfer);
  }

  /** Stops listening for credits; the port is closed. */
  close(): void {
    this.closed = true;
    this.port.close();
  }
}

/** The receiving end of a channel: delivers messages in order, one at a time, and returns credits. */
export class ChannelReceiver<D, C> {
  private readonly queue: Wire<D, C>[] = [];
  private running = false;
  private failed: unknown = null;

  /**
   * @param port the other end of the sender's MessageChannel.
   * @param deliver consumes one message; the next is delivered after its promise settles.
   * @param onError called once when `deliver` throws; delivery stops.
   */
  constructor(
    private readonly port: MessagePort,
    private readonly deliver: (m: ChannelMessage<D, C>) => void | Promise<void>,
    private readonly onError: (e: unknown) => void,
  ) {
    port.on("message", (w: Wire<D, C>) => {
      this.queue.push(w);
      if (!this.running) void this.pump();
    });
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && this.failed === null) {
        const w = this.queue.shift()!;
        await this.deliver(w.m);
        if (w.m.kind === "data") this.port.postMessage(w.c ?? 1);
      }
    } catch (e) {
      this.failed = e;
      this.onError(e);
    } finally {
      this.running = false;
    }
  }

  /** Messages received and not yet consumed. */
  get pending(): number {
    return this.queue.length;
  }

  /** Stops receiving; the port is closed. */
  close(): void {
    this.port.close();
  }
}
