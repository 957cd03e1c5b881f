/** What users apply: sources, element-wise and grouping transforms, combiners, windows and IO. */
export * from "./create";
export * from "./combiners";
export * from "./group";
export * from "./windowing";
export * from "./expressions";
export * from "./testing";
export * from "./join";
export * from "./partition";
export * from "./approximate";
export * from "./top";
export * from "./sources";
