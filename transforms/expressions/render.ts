/** Expressions rendered as the code that builds them, for messages. */
import type { ExprNode } from "./node";

/** @internal An operand as code: a literal bare, anything else as an expression. */
export function renderArg(n: ExprNode): string {
  return n.op === "lit" ? JSON.stringify(n.value) : render(n);
}

/** @internal An expression as code, e.g. `col("price").mul(col("qty"))`. */
export function render(n: ExprNode): string {
  switch (n.op) {
    case "col": return `col(${JSON.stringify(n.name)})`;
    case "lit": return `lit(${JSON.stringify(n.value)})`;
    case "alias": return `${render(n.arg)}.as(${JSON.stringify(n.name)})`;
    case "contains": case "startsWith": return `${render(n.arg)}.${n.op}(${JSON.stringify(n.pattern)})`;
    case "cast": return `${render(n.arg)}.cast(${JSON.stringify(n.to)})`;
    case "coalesce": case "concat": return `${render(n.args[0])}.${n.op}(${n.args.slice(1).map(renderArg).join(", ")})`;
    case "when": return `${n.cases.map((c, i) => `${i === 0 ? "when" : ".when"}(${renderArg(c.if)}, ${renderArg(c.then)})`).join("")}.otherwise(${renderArg(n.else)})`;
    default:
      if ("args" in n) return `${render(n.args[0])}.${n.op}(${renderArg(n.args[1])})`;
      return `${render(n.arg)}.${n.op}()`;
  }
}
