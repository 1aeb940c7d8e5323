/** The durable-write helpers live in shared (the central server writes ingested run folders too). */
export { fsyncDir, writeFileSynced } from "@tessera/shared/durable";
