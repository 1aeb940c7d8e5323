export * from "./schema";
export type * from "./resolved";
export * from "./events";
export * from "./runfiles";
