export * from "./schema";
export type * from "./resolved";
export * from "./events";
export * from "./runfiles";
export * from "./path";
export * from "./lr";
export * from "./schedules";
export * from "./diff";
export * from "./metrics";
