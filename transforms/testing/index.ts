/** Test utilities. */
export * from "./collect";
export * from "./assert";
export * from "./singleton-assert";
export * from "./teststream";
