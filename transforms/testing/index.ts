/** Test utilities. */
export * from "./collect";
