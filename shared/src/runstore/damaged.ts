/**
 * A run folder whose `meta.json` cannot be read (cut by a full disk, edited by hand) still belongs
 * in `tessera ls`: skipping it made the run disappear, with nothing but a stderr line to say it
 * existed. It is listed as damaged, with what is known from its folder name (ids start with the
 * UTC start time) and the reason.
 */
import { basename } from "node:path";
import { FORMAT, type RunMeta } from "../events";

/** `20260102-030405-name-ab12` -> `2026-01-02T03:04:05.000Z`; null for another shape. */
function startedFromId(id: string): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-/.exec(id);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.000Z` : null;
}

/** A stand-in meta for a folder whose meta.json is unreadable: id and name from the folder name. */
export function damagedMeta(dir: string): RunMeta {
  const id = basename(dir);
  const name = /^\d{8}-\d{6}-(.+)-[0-9a-f]{4}$/.exec(id)?.[1] ?? id;
  return {
    format: FORMAT,
    id,
    name,
    config_hash: "",
    data_hash: null,
    split_hash: null,
    seed: 0,
    // The nearest honest status: nothing can continue it until meta.json is repaired.
    status: "failed",
    started: startedFromId(id) ?? "",
    ended: null,
    backend: null,
    versions: {},
    git_commit: null,
    host: "",
    skipped_images: 0,
    attempt: 0,
  };
}
