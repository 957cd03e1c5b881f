/** A glob as a regular expression over `/`-separated names, for storage that cannot glob itself (GCS). */

/** Characters that make a pattern a glob. */
const GLOB_CHARS = /[*?[{]/;

/** Whether a pattern holds glob characters. */
export function isGlob(pattern: string): boolean {
  return GLOB_CHARS.test(pattern);
}

/** The part of a pattern before its first glob character (the prefix every match starts with). */
export function literalPrefix(pattern: string): string {
  const at = pattern.search(GLOB_CHARS);
  return at < 0 ? pattern : pattern.slice(0, at);
}

/**
 * A glob's regular expression: `*` any run of characters but `/`, `**` any run (including `/`; `**\/`
 * also none), `?` one character but `/`, `[abc]` / `[!abc]` a class, `{a,b}` alternatives.
 */
export function globRegex(pattern: string): RegExp {
  let re = "";
  let braces = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") {
      if (pattern[i + 1] === "*") {
        i++;
        if (pattern[i + 1] === "/") {
          i++;
          re += "(?:.*/)?";
        } else re += ".*";
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) re += "\\[";
      else {
        const body = pattern.slice(i + 1, close);
        re += body.startsWith("!") ? `[^${escapeClass(body.slice(1))}]` : `[${escapeClass(body)}]`;
        i = close;
      }
    } else if (c === "{") {
      braces++;
      re += "(?:";
    } else if (c === "}" && braces > 0) {
      braces--;
      re += ")";
    } else if (c === "," && braces > 0) re += "|";
    else re += c.replace(/[.+^$()|\\\]{}]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

function escapeClass(body: string): string {
  return body.replace(/[\\\]^]/g, "\\$&");
}
