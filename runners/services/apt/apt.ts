/**
 * Installs Debian packages for tests and development with apt-get: as root, bounded in time, with
 * services kept from starting (a `policy-rc.d` answering 101 while it runs), and `apt-get update`
 * only when the first install fails (a fresh machine's package lists are empty).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { hasCommand, ProvisioningError } from "../../portable/provision/cache";

/** How long an apt-get step may take before provisioning gives up (ms). */
export const APT_TIMEOUT_MS = 10 * 60_000;

/** A provisioning step that failed, with the end of its output. */
function aptFailure(what: string, r: ReturnType<typeof spawnSync>, fix: string): ProvisioningError {
  const out = `${r.stderr ?? ""}${r.stdout ?? ""}${r.error ? String(r.error) : ""}`.trim().split("\n").slice(-15).join("\n");
  return new ProvisioningError({ code: "BL_PROVISIONING_FAILED", domain: "external", retriable: true, value: what, rule: `${what} failed: ${out}`, fix });
}

/**
 * Installs `pkg` (without its recommended packages) with apt-get, within `timeoutMs` per step; throws
 * a {@link ProvisioningError} whose fix is `fix` when apt-get is missing, we are not root, or it fails.
 */
export function aptInstall(pkg: string, what: string, fix: string, timeoutMs = APT_TIMEOUT_MS): void {
  if (!hasCommand("apt-get") || process.getuid?.() !== 0) {
    throw new ProvisioningError({
      code: "BL_TOOL_MISSING",
      domain: "external",
      value: pkg,
      rule: `${what} is not installed, and apt-get cannot install it here (it needs Debian or Ubuntu, as root)`,
      fix,
    });
  }
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const apt = (args: string[]) => spawnSync("apt-get", args, { encoding: "utf8", env, timeout: timeoutMs, maxBuffer: 64 << 20 });
    let r = apt(["install", "-y", "--no-install-recommends", pkg]);
    if (r.status !== 0) {
      const update = apt(["update"]);
      if (update.status !== 0) throw aptFailure("apt-get update", update, fix);
      r = apt(["install", "-y", "--no-install-recommends", pkg]);
    }
    if (r.status !== 0) throw aptFailure(`apt-get install ${pkg}`, r, fix);
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
}
