/** The arguments a runner starts a PROCESS environment's boot command with. */

/**
 * Parses `--name=value` arguments. A value in matching single or double quotes loses them: Prism
 * passes `--id='…'` without a shell to remove them, and the quoted id is not one it registered.
 */
export function parseBootArgs(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of argv) {
    const m = /^--([^=]+)=(.*)$/s.exec(a);
    if (m) out[m[1]] = /^(['"]).*\1$/s.test(m[2]) && m[2].length >= 2 ? m[2].slice(1, -1) : m[2];
  }
  return out;
}
