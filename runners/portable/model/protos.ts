/**
 * Beam's model protos, loaded lazily (only for portable runs, so the direct runner needs no Java): the
 * .proto files come out of Beam's model jars from Maven Central, cached, and are parsed with protobufjs.
 * gRPC service definitions are built from them, so messages are plain objects with camelCase fields.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import * as protobuf from "protobufjs";
import { BEAM_VERSION, cacheDir, mavenJar } from "../provision/cache";
import { readZipEntries } from "../provision/zip";

/** Beam's three model jars. */
export const MODEL_JARS = ["beam-model-pipeline", "beam-model-job-management", "beam-model-fn-execution"] as const;

/** How decoded messages look: enums as names, 64-bit integers as numbers, defaults filled in. */
export const DECODE_OPTIONS: protobuf.IConversionOptions = { enums: String, longs: Number, defaults: true, oneofs: true };

/** Extracts the model jars' .proto files and standard_coders.yaml into the cache (once); returns the directory. */
export function modelFilesDir(): string {
  const dir = cacheDir("beam-model", BEAM_VERSION);
  const done = path.join(dir, "extracted-v2");
  if (fs.existsSync(done)) return dir;
  const jars = cacheDir("beam-model", BEAM_VERSION, "jars");
  for (const a of MODEL_JARS) {
    const jar = mavenJar(`org.apache.beam:${a}:${BEAM_VERSION}`, jars);
    for (const e of readZipEntries(jar, (n) => n.endsWith(".proto") || n.endsWith(".yaml"))) {
      const out = path.join(dir, "files", e.name);
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, e.name.endsWith(".proto") ? withoutAggregateOptions(e.data.toString("utf8")) : e.data);
    }
  }
  fs.writeFileSync(done, BEAM_VERSION);
  return dir;
}

/**
 * Removes field and enum-value options whose value is an aggregate (`[(opt) = { ... }]`), which
 * protobufjs cannot parse; they only document metric specs and carry nothing Beamline reads.
 */
export function withoutAggregateOptions(source: string): string {
  let out = "";
  let i = 0;
  for (;;) {
    const at = source.indexOf("[(", i);
    if (at < 0) return out + source.slice(i);
    const eq = source.indexOf("=", at);
    const brace = source.slice(eq + 1).search(/\S/) + eq + 1;
    if (eq < 0 || source[brace] !== "{") {
      out += source.slice(i, at + 2);
      i = at + 2;
      continue;
    }
    let depth = 0;
    let j = at;
    let inString = false;
    for (; j < source.length; j++) {
      const c = source[j];
      if (inString) {
        if (c === "\\") j++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === "[" || c === "{") depth++;
      else if (c === "]" || c === "}") {
        depth--;
        if (depth === 0) break;
      }
    }
    out += source.slice(i, at);
    i = j + 1;
  }
}

/** The path of Beam's cross-SDK coder test vectors (standard_coders.yaml) from the model jar. */
export function standardCodersYaml(): string {
  return path.join(modelFilesDir(), "files", "org/apache/beam/model/fnexecution/v1/standard_coders.yaml");
}

const PROTO_FILES = [
  "org/apache/beam/model/pipeline/v1/beam_runner_api.proto",
  "org/apache/beam/model/pipeline/v1/schema.proto",
  "org/apache/beam/model/pipeline/v1/standard_window_fns.proto",
  "org/apache/beam/model/pipeline/v1/metrics.proto",
  "org/apache/beam/model/pipeline/v1/endpoints.proto",
  "org/apache/beam/model/job_management/v1/beam_job_api.proto",
  "org/apache/beam/model/job_management/v1/beam_artifact_api.proto",
  "org/apache/beam/model/fn_execution/v1/beam_fn_api.proto",
  "org/apache/beam/model/fn_execution/v1/beam_provision_api.proto",
];

/** Short package prefixes for {@link Protos.type}. */
const PACKAGES: Record<string, string> = {
  pipeline: "org.apache.beam.model.pipeline.v1",
  job: "org.apache.beam.model.job_management.v1",
  fn: "org.apache.beam.model.fn_execution.v1",
};

/** The loaded protos. */
export class Protos {
  constructor(
    /** The protobufjs root holding every Beam model type. */
    readonly root: protobuf.Root,
  ) {}

  /** A message type by `pkg.Name` with pkg one of pipeline, job, fn (e.g. `pipeline.ParDoPayload`) or a full name. */
  type(name: string): protobuf.Type {
    const dot = name.indexOf(".");
    const pkg = PACKAGES[name.slice(0, dot)];
    return this.root.lookupType(pkg ? `${pkg}${name.slice(dot)}` : name);
  }

  /** Encodes a plain object as the named message. */
  encode(name: string, value: object): Uint8Array {
    const t = this.type(name);
    return t.encode(t.fromObject(value)).finish();
  }

  /** Decodes bytes as the named message into a plain object. */
  decode<T = any>(name: string, bytes: Uint8Array): T {
    const t = this.type(name);
    return t.toObject(t.decode(bytes), DECODE_OPTIONS) as T;
  }

  /** A gRPC service definition (for clients and servers) for `pkg.Service`. */
  service(name: string): grpc.ServiceDefinition {
    const dot = name.indexOf(".");
    const svc = this.root.lookupService(`${PACKAGES[name.slice(0, dot)]}${name.slice(dot)}`);
    const def: Record<string, grpc.MethodDefinition<object, object>> = {};
    for (const m of svc.methodsArray) {
      m.resolve();
      const req = m.resolvedRequestType!;
      const res = m.resolvedResponseType!;
      def[m.name] = {
        path: `/${svc.fullName.slice(1)}/${m.name}`,
        requestStream: !!m.requestStream,
        responseStream: !!m.responseStream,
        originalName: m.name,
        requestSerialize: (v: object) => Buffer.from(req.encode(req.fromObject(v)).finish()),
        requestDeserialize: (b: Buffer) => req.toObject(req.decode(b), DECODE_OPTIONS),
        responseSerialize: (v: object) => Buffer.from(res.encode(res.fromObject(v)).finish()),
        responseDeserialize: (b: Buffer) => res.toObject(res.decode(b), DECODE_OPTIONS),
      };
    }
    return def as grpc.ServiceDefinition;
  }
}

let loaded: Protos | null = null;

/** Loads (once per process) Beam's model protos, fetching the model jars into the cache if needed. */
export function beamProtos(): Protos {
  if (loaded) return loaded;
  const base = path.join(modelFilesDir(), "files");
  const root = new protobuf.Root();
  const bundled = path.dirname(require.resolve("protobufjs/package.json"));
  root.resolvePath = (_origin, target) => {
    if (target.startsWith("google/protobuf/")) return path.join(bundled, target);
    return path.join(base, target);
  };
  root.loadSync(PROTO_FILES, { keepCase: false });
  root.resolveAll();
  loaded = new Protos(root);
  return loaded;
}
