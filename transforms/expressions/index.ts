/**
 * Vectorised column expressions: `col("price").mul(col("qty"))`, applied with {@link select},
 * {@link withColumn} and {@link where}. An expression is plain JSON data (it goes into the transform's
 * payload, so the graph fingerprint covers it and a worker can rebuild it with {@link exprFromJson});
 * it is type-checked against the input schema when the transform is applied (or against the first
 * batch when the schema is only known at run time) and evaluated a column at a time over typed arrays
 * and validity masks, never through per-row objects.
 *
 * Semantics (SQL-like):
 * - **Nulls propagate**: any null operand gives null, except `and`/`or` (three-valued logic:
 *   `false and null` is false, `true or null` is true), `isNull`/`isNotNull` (never null), `coalesce`
 *   (first non-null) and `when` (a null condition counts as false). `where` drops rows whose predicate
 *   is null.
 * - **Numbers** are computed as float64. `add`/`sub`/`mul`/`mod`/`neg` of integers give int64
 *   (exact within ±2^53; a result beyond the int64 range fails the run); anything involving a float
 *   gives float64; `div` always gives float64 (`lit(7).div(2)` is 3.5). **Division or modulo by zero
 *   gives null** (as Spark SQL does), for integers and floats alike. `mod` takes the sign of the
 *   dividend (`-7 mod 3` is -1). An integer literal (`lit(3)`, `.add(1)`) is an integer; `lit(1.5)` a float.
 * - **Comparisons** give bool; numbers (and timestamps, as ms) compare with numbers, strings with
 *   strings (by code point, i.e. UTF-8 byte order), bools with bools (false < true).
 * - **Strings**: `length` counts Unicode code points (`"日本語"` has 3); `lower`/`upper` use Unicode's
 *   locale-independent case mapping; `contains`/`startsWith` take a literal string; `concat` joins
 *   strings (null if any part is null).
 * - **cast**: numbers → int32/int64 truncate toward zero (out of range or NaN fails the run); strings
 *   parse as decimal numbers or `true/false/t/f/yes/no/1/0` for bool (anything else fails the run,
 *   naming the row and value: filter such rows first); numbers → string use JavaScript's formatting;
 *   timestamps → string give ISO-8601; timestamps → numbers give ms since the epoch.
 * - **Output types**: a bare `col(...)` keeps its column (type and data, no copy); computed integers
 *   are int64 (`length()` and `cast("int32")` give int32), other numbers float64, comparisons bool,
 *   strings utf8, `lit(null)` alone the null type.
 */
export { col, Expr, lit, when, When, type ExprInput } from "./expr";
export { exprFromJson } from "./from-json";
export type { BinaryOp, CastType, ExprNode, LiteralValue, UnaryOp } from "./node";
export { select, type SelectItem } from "./select";
export { where } from "./where";
export { withColumn } from "./with-column";
