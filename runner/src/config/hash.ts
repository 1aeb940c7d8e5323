/**
 * `config_hash`: sha256 of the canonical JSON (keys sorted, no whitespace) of the resolved config,
 * leaving out what differs by machine — `data.path`, `backend` and `inference_engine` (the runs dir
 * is not in a config).
 * The same fields are the ones `diffConfigs` (shared/src/diff.ts) marks as not defining.
 * Same hash = same experiment, whatever the key order, comments or `extends` layout of the YAML.
 */
import { createHash } from "node:crypto";
import type { ResolvedConfig } from "@tessera/shared";

/** JSON with object keys sorted at every level; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** What the hash covers: the resolved config minus machine-specific fields. */
export function hashedPart(config: ResolvedConfig): unknown {
  const { backend: _backend, inference_engine: _engine, data, ...rest } = config;
  const { path: _path, ...dataRest } = data as ResolvedConfig["data"] & { path?: string };
  return { ...rest, data: dataRest };
}

/** The config's sha256 hex digest (64 characters). */
export function configHash(config: ResolvedConfig): string {
  return createHash("sha256")
    .update(canonicalJson(hashedPart(config)))
    .digest("hex");
}
