/**
 * kafkajs 2.2.4 frames responses from the bytes a connection received, and keeps a partly received
 * response when the connection drops (a broker killed while it sent a large fetch). The connection
 * object reconnects with those stale bytes still buffered, so it misreads the first response of the new
 * socket ("Response without match") and every later one: its requests then time out for ever, and a
 * source reading from it stalls. Here a connection forgets what it had buffered whenever it connects.
 * kafkajs is pinned, so the fields are fixed.
 */

interface FramedConnection {
  chunks: Buffer[];
  bytesBuffered: number;
  bytesNeeded: number;
  isConnected(): boolean;
  connect(): Promise<boolean>;
}

/** The bytes of a response's size field, what a connection waits for first. */
const SIZE_BYTES = 4;

let patched = false;

/** Makes every kafkajs connection start each (re)connection with nothing buffered (idempotent). */
export function resetFramingOnConnect(): void {
  if (patched) return;
  patched = true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Connection = require("kafkajs/src/network/connection") as { prototype: FramedConnection };
  const connect = Connection.prototype.connect;
  Connection.prototype.connect = function connectAfresh(this: FramedConnection): Promise<boolean> {
    if (!this.isConnected()) {
      this.chunks = [];
      this.bytesBuffered = 0;
      this.bytesNeeded = SIZE_BYTES;
    }
    return connect.call(this);
  };
}
