/**
 * Per-worker tokens for the central server (`tessera token add|ls|revoke`). The file holds only
 * sha256 hashes of the tokens (a token is 32 random bytes, so a plain hash cannot be brute-forced
 * back), one entry per worker name. The runner writes it (runner/src/remote/tokens.ts); the
 * dashboard's access check reads it here, again whenever the file changes on disk, so a revoke
 * takes effect on the next request without a restart. Node only (fs, crypto).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** One worker's token, hashed. */
export interface TokenEntry {
  name: string;
  /** hex sha256 of the token text. */
  sha256: string;
  created: string;
}

/** The token file: `{format: 1, tokens: [...]}`. */
export interface TokenFile {
  format: 1;
  tokens: TokenEntry[];
}

/** Beside the runs dir (not in it: `ls` and backups of runs/ need not carry secrets). */
export const TOKENS_FILE_NAME = ".tessera-tokens.json";

/** Where the token file of a store lives: env `TESSERA_TOKENS_FILE`, else beside `runsDir`. */
export function tokensFileFor(runsDir: string): string {
  return process.env.TESSERA_TOKENS_FILE ?? join(dirname(resolve(runsDir)), TOKENS_FILE_NAME);
}

/** hex sha256 of a token. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Parses the file's text; throws with the file name for anything but the known shape. */
export function parseTokenFile(text: string, file: string): TokenFile {
  const data = JSON.parse(text) as Partial<TokenFile>;
  const ok =
    data.format === 1 &&
    Array.isArray(data.tokens) &&
    data.tokens.every(
      (t) => typeof t?.name === "string" && typeof t.sha256 === "string" && /^[0-9a-f]{64}$/.test(t.sha256),
    );
  if (!ok) throw new Error(`${file}: not a tessera token file (expected {format: 1, tokens: [{name, sha256}]})`);
  return data as TokenFile;
}

/** The file's tokens; an absent file has none. */
export function readTokenFile(file: string): TokenFile {
  try {
    return parseTokenFile(readFileSync(file, "utf8"), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { format: 1, tokens: [] };
    throw error;
  }
}

const cache = new Map<string, { key: string; file: TokenFile }>();

/**
 * The name of the worker whose token `given` is, or null. Every entry is compared (constant time
 * per entry, no early exit on a match) so the answer's timing does not say which entry matched.
 * Re-reads the file when its size or mtime changed; a damaged file admits nobody.
 */
export function workerForToken(file: string, given: string): string | null {
  let tokens: TokenEntry[];
  try {
    const s = statSync(file, { throwIfNoEntry: false });
    const key = s ? `${s.size}:${s.mtimeMs}:${s.ino}` : "absent";
    let hit = cache.get(file);
    if (!hit || hit.key !== key) {
      hit = { key, file: readTokenFile(file) };
      cache.set(file, hit);
    }
    tokens = hit.file.tokens;
  } catch {
    return null;
  }
  const digest = Buffer.from(hashToken(given), "hex");
  let found: string | null = null;
  for (const t of tokens) {
    if (timingSafeEqual(digest, Buffer.from(t.sha256, "hex")) && found === null) found = t.name;
  }
  return found;
}
