/** Run ids: `<YYYYMMDD-HHMMSS>-<name>-<4 hex>` (UTC), always matching shared's RUN_ID_PATTERN. */
import { randomBytes } from "node:crypto";
import { isSafeRunId } from "@tessera/shared";

/** Makes a config name safe inside a run id: only `[A-Za-z0-9_.-]`, no `..`, at most 60 chars. */
export function slugForId(name: string): string {
  const slug = name
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 60);
  return slug || "run";
}

/** `20261128-013005` for the given instant, in UTC so ids sort the same on every machine. */
export function timestampForId(date: Date): string {
  const iso = date.toISOString(); // 2026-11-28T01:30:05.123Z
  return `${iso.slice(0, 10).replaceAll("-", "")}-${iso.slice(11, 19).replaceAll(":", "")}`;
}

/** A fresh run id for a config name. */
export function makeRunId(name: string, date: Date = new Date()): string {
  const id = `${timestampForId(date)}-${slugForId(name)}-${randomBytes(2).toString("hex")}`;
  if (!isSafeRunId(id)) throw new Error(`internal: made an unsafe run id ${JSON.stringify(id)}`);
  return id;
}
