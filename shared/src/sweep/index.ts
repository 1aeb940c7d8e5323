export * from "./schema";
export * from "./sample";
export * from "./asha";
export * from "./trials";
