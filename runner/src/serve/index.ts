/**
 * `tessera serve` as an API: open a run or export folder with an engine, then listen.
 * See server.ts for the routes and engine.ts for the engines.
 */
export { openEngine, ortEngine, tfjsEngine, toNchw, type Engine, type EngineMeta, type EngineName } from "./engine";
export { createServer, startServer, type ServerOptions } from "./server";
export { Batcher, QueueFullError, type BatchOptions } from "./batcher";
export { HttpError } from "./inputs";
