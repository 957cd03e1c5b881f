/**
 * What the portable tests need from the machine (Java and Maven for Beam's model jars and the Flink
 * job server, Go for Prism). Absent tools skip the suites with a message, unless
 * BEAMLINE_REQUIRE_INTEGRATION=1 (as CI sets), which turns absence into failure.
 */
import { hasCommand } from "../../../runners/portable/provision/cache";

/** Whether absence of a tool must fail instead of skip. */
export const REQUIRE = process.env.BEAMLINE_REQUIRE_INTEGRATION === "1";

/** `describe` when every tool is present; otherwise skips (or fails under REQUIRE) naming what is missing. */
export function describeWith(tools: string[], name: string, body: () => void): void {
  const missing = tools.filter((t) => !hasCommand(t));
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  if (REQUIRE) {
    describe(name, () => {
      test(`requires ${missing.join(", ")}`, () => {
        throw new Error(`${name}: ${missing.join(", ")} not found on the PATH, and BEAMLINE_REQUIRE_INTEGRATION=1 requires this suite`);
      });
    });
    return;
  }
  process.stderr.write(`skipping "${name}": ${missing.join(", ")} not found on the PATH (set BEAMLINE_REQUIRE_INTEGRATION=1 to make this a failure)\n`);
  describe.skip(name, body);
}
