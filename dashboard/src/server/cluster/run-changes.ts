/**
 * One in-process signal "this run's files changed", so the parts of the central server that keep
 * derived state (the SQLite run index, live subscriptions) hear about ingested events and uploads
 * without the ingest code knowing about them. Kept on globalThis because Next may load this module
 * more than once (route bundles) inside the one server process.
 */
import { EventEmitter } from "node:events";

type Listener = (runId: string) => void;
const KEY = Symbol.for("tessera.runChanges");
const holder = globalThis as unknown as Record<symbol, EventEmitter | undefined>;
const emitter: EventEmitter = (holder[KEY] ??= new EventEmitter().setMaxListeners(100));

/** Says that `runId`'s folder in the store gained events or files. */
export function emitRunChanged(runId: string): void {
  emitter.emit("changed", runId);
}

/** Calls `listener` after each change; returns the function that stops it. */
export function onRunChanged(listener: Listener): () => void {
  emitter.on("changed", listener);
  return () => emitter.off("changed", listener);
}
