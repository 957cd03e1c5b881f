/**
 * Links carry one exchange edge from one sending worker to one receiving worker: batches, watermarks,
 * barriers and end of input, in order. Between threads a link is a bounded channel over a
 * MessagePort, batches encoded as transferable Arrow buffers; within a thread it is an in-memory
 * queue with the same credits, and batches pass as they are. Credits count rows (those an encoded
 * batch stands for, see `encodedBatch`): a link holds at most its capacity in rows (plus one batch),
 * however its rows are cut into batches.
 */
import type { MessagePort } from "node:worker_threads";
import type { ElementBatch } from "../../../sdk/batch";
import { rowsOf } from "../../../sdk/encoded-batch";
import { ChannelMessage, ChannelReceiver, ChannelSender } from "./channel";
import { decodeBatch, encodeBatch, WireBatch } from "../data/batch-codec";

/** Control messages of a link. */
export type Control =
  | { readonly t: "watermark"; readonly watermark: number }
  | { readonly t: "idle"; readonly idle: boolean }
  | { readonly t: "barrier"; readonly checkpoint: number }
  | { readonly t: "end" };

/** What a receiver is handed: a batch or a control message. */
export type LinkMessage = ChannelMessage<ElementBatch, Control>;

/** The sending end of a link. */
export interface Outlet {
  /** Resolves once the receiver has room. */
  whenAvailable(): Promise<void>;
  /** Whether the receiver has room now. */
  readonly hasRoom: boolean;
  /** Sends a batch; with `owned`, its buffers may move to the receiver (the caller gives the batch up). */
  send(batch: ElementBatch, owned: boolean): void;
  /** Sends a control message. */
  control(c: Control): void;
  close(): void;
}

/** The receiving end of a link. */
export interface Inlet {
  /** Starts delivery: one message at a time, the next once `deliver`'s promise settles. */
  start(deliver: (m: LinkMessage) => Promise<void> | void, onError: (e: unknown) => void): void;
  close(): void;
}

/** The sending end of a link to another thread. */
export class PortOutlet implements Outlet {
  private readonly sender: ChannelSender<WireBatch, Control>;
  /** Bytes moved without a copy, and bytes copied, so far. */
  readonly bytes = { transferred: 0, copied: 0 };

  /** @param capacity rows in flight. */
  constructor(port: MessagePort, capacity: number) {
    this.sender = new ChannelSender(port, capacity);
  }
  whenAvailable(): Promise<void> {
    return this.sender.whenAvailable();
  }
  get hasRoom(): boolean {
    return this.sender.available > 0;
  }
  send(batch: ElementBatch, owned: boolean): void {
    const enc = encodeBatch(batch, owned);
    this.bytes.transferred += enc.transferredBytes;
    this.bytes.copied += enc.copiedBytes;
    this.sender.sendNow(enc.message, enc.transfer, Math.max(1, rowsOf(batch)));
  }
  control(c: Control): void {
    this.sender.control(c);
  }
  close(): void {
    this.sender.close();
  }
}

/** The receiving end of a link from another thread. */
export class PortInlet implements Inlet {
  private receiver: ChannelReceiver<WireBatch, Control> | null = null;

  constructor(private readonly port: MessagePort) {}

  start(deliver: (m: LinkMessage) => Promise<void> | void, onError: (e: unknown) => void): void {
    this.receiver = new ChannelReceiver<WireBatch, Control>(
      this.port,
      (m) => (m.kind === "data" ? deliver({ kind: "data", body: decodeBatch(m.body) }) : deliver(m)),
      onError,
    );
  }
  close(): void {
    if (this.receiver) this.receiver.close();
    else this.port.close();
  }
}

/** A link within one thread: both ends, over an in-memory queue with credits. */
export class LocalLink implements Outlet, Inlet {
  private credits: number;
  private readonly queue: LinkMessage[] = [];
  private readonly roomWaiters: (() => void)[] = [];
  private deliver: ((m: LinkMessage) => Promise<void> | void) | null = null;
  private onError: ((e: unknown) => void) | null = null;
  private running = false;
  private failed = false;

  /** @param capacity rows in flight. */
  constructor(capacity: number) {
    this.credits = capacity;
  }
  get hasRoom(): boolean {
    return this.credits > 0;
  }
  whenAvailable(): Promise<void> {
    return this.credits > 0 ? Promise.resolve() : new Promise((resolve) => this.roomWaiters.push(resolve));
  }
  send(batch: ElementBatch): void {
    this.credits -= Math.max(1, rowsOf(batch));
    this.push({ kind: "data", body: batch });
  }
  control(c: Control): void {
    this.push({ kind: "control", body: c });
  }
  start(deliver: (m: LinkMessage) => Promise<void> | void, onError: (e: unknown) => void): void {
    this.deliver = deliver;
    this.onError = onError;
    void this.pump();
  }
  close(): void {
    this.deliver = null;
  }

  private push(m: LinkMessage): void {
    this.queue.push(m);
    if (!this.running && this.deliver) void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && this.deliver && !this.failed) {
        const m = this.queue.shift()!;
        const cost = m.kind === "data" ? Math.max(1, rowsOf(m.body)) : 0;
        await this.deliver(m);
        if (m.kind === "data") {
          this.credits += cost;
          while (this.credits > 0 && this.roomWaiters.length > 0) this.roomWaiters.shift()!();
        }
      }
    } catch (e) {
      this.failed = true;
      this.onError?.(e);
    } finally {
      this.running = false;
    }
  }
}
