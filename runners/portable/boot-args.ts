/** The arguments a runner starts a PROCESS environment's boot command with. */

/**
 * Parses `--name=value` arguments, and `--name value` as Go's flag package (Beam's own boot programs)
 * also takes them. A value in matching single or double quotes loses them: Prism passes `--id='…'`
 * without a shell to remove them, and the quoted id is not one it registered.
 */
export function parseBootArgs(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const unquote = (v: string) => (/^(['"]).*\1$/s.test(v) && v.length >= 2 ? v.slice(1, -1) : v);
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?([^=-][^=]*)(?:=(.*))?$/s.exec(argv[i]);
    if (!m) continue;
    if (m[2] !== undefined) out[m[1]] = unquote(m[2]);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("-")) out[m[1]] = unquote(argv[++i]);
  }
  return out;
}
