/** Repairing an events file left by a process killed mid-write; shared with the central server's ingest. */
export { repairTornTail } from "@tessera/shared/durable";
