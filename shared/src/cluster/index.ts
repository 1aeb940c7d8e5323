/** What the queue's submitters and workers agree on (`@tessera/shared/cluster`). */
export * from "./job";
