/** Test utilities. */
export * from "./collect";
export * from "./assert";
export * from "./teststream";
