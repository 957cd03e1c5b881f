/** kafkajs clients for a Kafka suite's own reads and writes, and a bounded poll. */
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from "kafkajs";

/** Polls `f` every 250 ms until it is true, for at most `ms`; fails naming `what`. */
export async function until(what: string, ms: number, f: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * An admin and an idempotent producer on the suite's broker, connected before its tests and closed
 * after them, and `topic(name, partitions)`, which creates a topic and waits for its leaders.
 */
export function kafkaClients(bootstrap: () => string): { admin: () => Admin; producer: () => Producer; topic: (name: string, partitions: number) => Promise<void> } {
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  beforeAll(async () => {
    const kafka = new Kafka({ brokers: [bootstrap()], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
    await producer.connect();
  });
  afterAll(async () => {
    await producer?.disconnect();
    await admin?.disconnect();
  });
  const topic = async (name: string, partitions: number): Promise<void> => {
    await admin!.createTopics({ topics: [{ topic: name, numPartitions: partitions }], waitForLeaders: true });
  };
  return { admin: () => admin!, producer: () => producer!, topic };
}
