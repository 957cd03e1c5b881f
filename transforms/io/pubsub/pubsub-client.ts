/**
 * The Pub/Sub client of a process: @google-cloud/pubsub, loaded on first use, pointed at an emulator
 * by `PUBSUB_EMULATOR_HOST` (which the client reads) or at Google with Application Default
 * Credentials; and the full names of topics and subscriptions.
 */
import type { PubSub } from "@google-cloud/pubsub";
import { OptionError } from "../../../sdk/errors";

const clients = new Map<string, { client: PubSub; users: number }>();

/** The client for a project (one per project and process). */
export function pubsubClient(projectId: string): PubSub {
  let c = clients.get(projectId);
  if (!c) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { PubSub: Client } = require("@google-cloud/pubsub") as typeof import("@google-cloud/pubsub");
    c = { client: new Client({ projectId }), users: 0 };
    clients.set(projectId, c);
  }
  return c.client;
}

/** The client for a project, for a user that calls the returned `release` when done: the last release closes it. */
export function acquirePubsubClient(projectId: string): { client: PubSub; release(): Promise<void> } {
  const client = pubsubClient(projectId);
  const entry = clients.get(projectId)!;
  entry.users++;
  let released = false;
  return {
    client,
    async release() {
      if (released) return;
      released = true;
      if (--entry.users > 0 || clients.get(projectId) !== entry) return;
      clients.delete(projectId);
      await client.close().catch(() => {});
    },
  };
}

/** A topic's or subscription's project and short name, from `projects/P/topics/T` (or `.../subscriptions/S`). */
export function resourceName(name: string, kind: "topics" | "subscriptions", where: string): { project: string; name: string; path: string } {
  const m = new RegExp(`^projects/([^/]+)/${kind}/([^/]+)$`).exec(name);
  if (!m) {
    throw new OptionError({
      code: "BL_PUBSUB_NAME",
      where,
      value: name,
      rule: `a Pub/Sub ${kind === "topics" ? "topic" : "subscription"} is named in full: projects/PROJECT/${kind}/NAME`,
      fix: `pass e.g. "projects/my-project/${kind}/${kind === "topics" ? "events" : "events-sub"}"`,
    });
  }
  return { project: m[1], name: m[2], path: name };
}

/** Sends one request of Pub/Sub's API through the client (its emulator and credentials settings apply). */
export function pubsubRequest(client: PubSub, client_: "SubscriberClient" | "PublisherClient", method: string, reqOpts: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    client.request({ client: client_, method, reqOpts, gaxOpts: {} }, (err: Error | null, res?: unknown) => (err ? reject(err) : resolve(res)));
  });
}
