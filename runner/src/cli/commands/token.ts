/** `tessera token add|ls|revoke <name>`: the per-worker tokens the central server's ingest accepts. */
import { tokensFileFor } from "@tessera/shared/tokens";
import { ExitError } from "../../errors";
import { runsDirFrom } from "../../runs";
import { say } from "../../runs/cli-text";
import { addToken, listTokens, revokeToken } from "../../remote/tokens";

export interface TokenOptions {
  runsDir?: string;
  /** @default env TESSERA_TOKENS_FILE, else `.tessera-tokens.json` beside the runs dir */
  tokensFile?: string;
  json?: boolean;
}

const fileOf = (opts: TokenOptions) => opts.tokensFile ?? tokensFileFor(runsDirFrom(opts.runsDir));

/** Prints the new token on stdout (once; only its hash is kept). */
export function tokenAddCommand(name: string, opts: TokenOptions = {}): void {
  const file = fileOf(opts);
  const token = addToken(file, name);
  process.stdout.write(opts.json ? `${JSON.stringify({ name, token, file })}\n` : `${token}\n`);
  say(`token for worker ${name} added to ${file}; give it to the worker as --token (it is not shown again)`);
}

export function tokenLsCommand(opts: TokenOptions = {}): void {
  const tokens = listTokens(fileOf(opts));
  if (opts.json) process.stdout.write(`${JSON.stringify(tokens)}\n`);
  else for (const t of tokens) process.stdout.write(`${t.name}\t${t.created}\n`);
}

export function tokenRevokeCommand(name: string, opts: TokenOptions = {}): void {
  const file = fileOf(opts);
  if (!revokeToken(file, name)) throw new ExitError(`tessera token revoke: no token for worker ${name} in ${file}`);
  say(`revoked worker ${name}'s token; the server refuses it from its next request`);
}
