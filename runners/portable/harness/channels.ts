/**
 * The Fn API's data and state channels: one bidirectional gRPC stream each per runner endpoint,
 * multiplexed over instructions. Incoming data is routed to the receiver registered for its
 * (instruction, transform); outgoing data is buffered per destination and flushed in chunks.
 */
import * as grpc from "@grpc/grpc-js";
import type { Protos } from "../model/protos";
import { RunnerProtocolError } from "../model/errors";

/** Receives one transform's data for one instruction. */
export type DataReceiver = (data: Buffer, isLast: boolean) => void;

const FLUSH_BYTES = 1 << 20;

/** gRPC channel options for large messages. */
export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": -1,
  "grpc.max_send_message_length": -1,
};

/** A client stub constructor for a service of Beam's model protos. */
export function clientFor(protos: Protos, service: string): grpc.ServiceClientConstructor {
  return grpc.makeGenericClientConstructor(protos.service(service), service);
}

/** The data channel to one endpoint. */
export class DataChannel {
  private readonly stream: grpc.ClientDuplexStream<any, any>;
  private readonly receivers = new Map<string, DataReceiver>();
  private readonly early = new Map<string, { data: Buffer; isLast: boolean }[]>();
  private readonly client: grpc.Client;
  private failed: Error | null = null;

  constructor(protos: Protos, url: string, workerId: string) {
    const Client = clientFor(protos, "fn.BeamFnData");
    this.client = new Client(url, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    const md = new grpc.Metadata();
    md.set("worker_id", workerId);
    this.stream = (this.client as any).Data(md);
    this.stream.on("data", (msg: { data?: { instructionId: string; transformId: string; data: Buffer; isLast: boolean }[]; timers?: { instructionId: string; transformId: string; timerFamilyId: string; timers: Buffer; isLast: boolean }[] }) => {
      const timers = (msg.timers ?? []).map((t) => ({ instructionId: t.instructionId, transformId: timerStreamId(t.transformId, t.timerFamilyId), data: t.timers, isLast: t.isLast }));
      for (const d of [...(msg.data ?? []), ...timers]) {
        const key = `${d.instructionId}\u0000${d.transformId}`;
        const r = this.receivers.get(key);
        const data = Buffer.from(d.data ?? []);
        if (r) r(data, !!d.isLast);
        else {
          // Data may arrive before the bundle registers its receiver.
          let q = this.early.get(key);
          if (!q) this.early.set(key, (q = []));
          q.push({ data, isLast: !!d.isLast });
        }
      }
    });
    this.stream.on("error", (e: Error) => {
      this.failed = e;
    });
  }

  /** Routes data of (instruction, transform) to `r`, delivering anything that arrived before. */
  register(instructionId: string, transformId: string, r: DataReceiver): void {
    const key = `${instructionId}\u0000${transformId}`;
    this.receivers.set(key, r);
    const q = this.early.get(key);
    if (q) {
      this.early.delete(key);
      for (const x of q) r(x.data, x.isLast);
    }
  }

  /** Stops routing data of an instruction. */
  unregister(instructionId: string, transformIds: string[]): void {
    for (const t of transformIds) {
      this.receivers.delete(`${instructionId}\u0000${t}`);
      this.early.delete(`${instructionId}\u0000${t}`);
    }
  }

  /** A buffered writer of one transform's output for one instruction. */
  writer(instructionId: string, transformId: string): DataWriter {
    return new DataWriter(this, instructionId, transformId);
  }

  /** @internal Sends one chunk. */
  send(instructionId: string, transformId: string, data: Buffer, isLast: boolean): void {
    if (this.failed) throw this.failed;
    this.stream.write({ data: [{ instructionId, transformId, data, isLast }] });
  }

  /** @internal Sends encoded timers of one timer family of a transform. */
  sendTimers(instructionId: string, transformId: string, timerFamilyId: string, timers: Buffer, isLast: boolean): void {
    if (this.failed) throw this.failed;
    this.stream.write({ timers: [{ instructionId, transformId, timerFamilyId, timers, isLast }] });
  }

  /** Closes the stream. */
  close(): void {
    this.stream.end();
    this.client.close();
  }
}

/** The stream id {@link DataChannel.register} takes for the timers of one timer family of a transform. */
export function timerStreamId(transformId: string, timerFamilyId: string): string {
  return `${transformId}\u0000timers\u0000${timerFamilyId}`;
}

/** Buffers one destination's bytes and sends them in chunks. */
export class DataWriter {
  private chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly channel: DataChannel,
    private readonly instructionId: string,
    private readonly transformId: string,
  ) {}

  /** Adds encoded elements. */
  write(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    if (this.size >= FLUSH_BYTES) this.flush(false);
  }

  /** Sends what is buffered; `isLast` ends this destination's stream for the instruction. */
  flush(isLast: boolean): void {
    if (this.size > 0 || isLast) {
      if (this.size > 0) this.channel.send(this.instructionId, this.transformId, Buffer.concat(this.chunks), false);
      if (isLast) this.channel.send(this.instructionId, this.transformId, Buffer.alloc(0), true);
    }
    this.chunks = [];
    this.size = 0;
  }
}

/** The state channel to one endpoint: request/response over one stream, matched by id. */
export class StateChannel {
  private readonly stream: grpc.ClientDuplexStream<any, any>;
  private readonly pending = new Map<string, { resolve: (r: any) => void; reject: (e: Error) => void }>();
  private readonly client: grpc.Client;
  private next = 0;

  constructor(protos: Protos, url: string, workerId: string) {
    const Client = clientFor(protos, "fn.BeamFnState");
    this.client = new Client(url, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    const md = new grpc.Metadata();
    md.set("worker_id", workerId);
    this.stream = (this.client as any).State(md);
    this.stream.on("data", (res: { id: string; error?: string }) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.error) {
        p.reject(new RunnerProtocolError({ code: "BL_STATE_REQUEST", where: `state request ${res.id}`, value: res.error, rule: "the runner's state service refused a state request", fix: "see the runner's log; the runner retries the bundle", retriable: true }));
      }
      else p.resolve(res);
    });
    this.stream.on("error", (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
  }

  /** Sends a StateRequest (without id) and resolves to its StateResponse. */
  request(req: Record<string, unknown>): Promise<any> {
    const id = `s${this.next++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.stream.write({ ...req, id });
    });
  }

  /** Reads all pages of a state key (following continuation tokens) into one buffer. */
  async readAll(instructionId: string, stateKey: Record<string, unknown>): Promise<Buffer> {
    const parts: Buffer[] = [];
    let token: Buffer | undefined;
    for (;;) {
      const res = await this.request({ instructionId, stateKey, get: token ? { continuationToken: token } : {} });
      parts.push(Buffer.from(res.get?.data ?? []));
      const next = res.get?.continuationToken;
      if (!next || next.length === 0) return Buffer.concat(parts);
      token = Buffer.from(next);
    }
  }

  /** Closes the stream. */
  close(): void {
    this.stream.end();
    this.client.close();
  }
}
