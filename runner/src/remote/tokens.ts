/**
 * The write side of the worker token file (`tessera token add|ls|revoke`); the central server
 * reads it through @tessera/shared/tokens. Only hashes are stored: the token itself is shown once,
 * by `add`. The file is rewritten atomically with mode 0600, so the server never reads half of it.
 */
import { chmodSync, mkdirSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { WORKER_NAME_PATTERN } from "@tessera/shared/ingest";
import { hashToken, readTokenFile, type TokenEntry } from "@tessera/shared/tokens";
import { ExitError } from "../errors";
import { writeJsonAtomic } from "../runs/atomic";

function save(file: string, tokens: TokenEntry[]): void {
  mkdirSync(dirname(file), { recursive: true });
  writeJsonAtomic(file, { format: 1, tokens });
  chmodSync(file, 0o600);
}

/** Creates a token for worker `name` and returns it (the only time it is readable). */
export function addToken(file: string, name: string): string {
  if (!new RegExp(WORKER_NAME_PATTERN).test(name))
    throw new ExitError(`tessera token add: ${JSON.stringify(name)} is not a worker name (letters, digits, _ . -)`);
  const { tokens } = readTokenFile(file);
  if (tokens.some((t) => t.name === name))
    throw new ExitError(`tessera token add: ${file} already has a token for ${name}; revoke it first`);
  const token = `tsw_${randomBytes(32).toString("base64url")}`;
  save(file, [...tokens, { name, sha256: hashToken(token), created: new Date().toISOString() }]);
  return token;
}

/** The workers that have a token, and when it was made. */
export function listTokens(file: string): { name: string; created: string }[] {
  return readTokenFile(file).tokens.map(({ name, created }) => ({ name, created }));
}

/** Removes worker `name`'s token; the server refuses it from its next request. False if there was none. */
export function revokeToken(file: string, name: string): boolean {
  const { tokens } = readTokenFile(file);
  const kept = tokens.filter((t) => t.name !== name);
  if (kept.length === tokens.length) return false;
  save(file, kept);
  return true;
}
