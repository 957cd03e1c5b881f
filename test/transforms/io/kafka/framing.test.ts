/**
 * A kafkajs connection dropped in the middle of a response, then reconnected: the response to its next
 * request is read (kafkajs 2.2.4 alone misreads it with the stale bytes and the request times out).
 * Against a loopback server speaking Kafka's framing: a 4-byte size, the correlation id, the payload.
 */
import * as net from "node:net";
import { kafkaClient } from "../../../../transforms/io/kafka/client/connection";

/* eslint-disable @typescript-eslint/no-require-imports */
const Connection = require("kafkajs/src/network/connection") as new (o: object) => KafkaConnection;
const socketFactory = require("kafkajs/src/network/socketFactory") as () => unknown;
const { createLogger } = require("kafkajs/src/loggers") as { createLogger: (o: object) => unknown };
const Encoder = require("kafkajs/src/protocol/encoder") as new () => { writeInt32(v: number): unknown };
/* eslint-enable @typescript-eslint/no-require-imports */

interface KafkaConnection {
  connect(): Promise<boolean>;
  disconnect(): Promise<boolean>;
  send(o: object): Promise<Buffer>;
}

/** A request without authentication (an ApiVersions key) whose response is its raw payload. */
const ECHO = {
  request: { apiKey: 18, apiName: "ApiVersions", apiVersion: 0, encode: async () => new Encoder().writeInt32(7) },
  response: { decode: async (payload: Buffer) => payload, parse: async (payload: Buffer) => payload },
};

/** A response frame for `correlationId` carrying `payload`. */
function frame(correlationId: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(4 + payload.length, 0);
  head.writeInt32BE(correlationId, 4);
  return Buffer.concat([head, payload]);
}

test("a connection dropped mid-response reads the responses of its next socket", async () => {
  kafkaClient({ brokers: "127.0.0.1:9" }); // installs Beamline's connection settings, as every Kafka read and write does
  let sockets = 0;
  const server = net.createServer((socket) => {
    const n = ++sockets;
    socket.once("data", (request) => {
      const correlationId = request.readInt32BE(8);
      const response = frame(correlationId, Buffer.from("x".repeat(1000)));
      // The first socket sends 100 bytes of its response and dies; the second answers whole.
      if (n === 1) socket.end(response.subarray(0, 100), () => socket.destroy());
      else socket.write(frame(correlationId, Buffer.from("whole")));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  const connection = new Connection({ host: "127.0.0.1", port, logger: createLogger({ level: 0, logCreator: () => () => {} }), socketFactory: socketFactory(), requestTimeout: 2000, connectionTimeout: 1000 });
  try {
    await connection.connect();
    await expect(connection.send(ECHO)).rejects.toThrow(/Closed connection|Connection error/);
    await connection.disconnect();
    await connection.connect();
    const payload = await connection.send(ECHO);
    expect(payload.toString()).toBe("whole");
  } finally {
    await connection.disconnect().catch(() => {});
    server.close();
  }
}, 10_000);
