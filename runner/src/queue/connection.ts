/**
 * `--queue redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS): parsed here once, so
 * every command reports a bad URL or an unreachable Redis the same way — naming the flag and the
 * URL with its password masked, never printing the secret.
 */
import { Redis, type RedisOptions } from "ioredis";
import { QueueError } from "./errors";

/** A parsed `--queue` URL. */
export interface QueueAddress {
  /** ioredis options (host, port, db, credentials, TLS). */
  options: RedisOptions;
  /** The URL with any password replaced by `***`, for messages and logs. */
  display: string;
}

/** Parses and checks a queue URL; throws QueueError naming `flag` for anything malformed. */
export function parseQueueUrl(url: string, flag = "--queue"): QueueAddress {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new QueueError(`${flag} ${JSON.stringify(maskLoose(url))} is not a URL; expected redis://host:6379/0`, 2);
  }
  const display = maskUrl(parsed);
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:")
    throw new QueueError(`${flag} ${display}: expected a redis:// or rediss:// URL, received ${parsed.protocol}//`, 2);
  if (!parsed.hostname) throw new QueueError(`${flag} ${display}: no host`, 2);
  const port = parsed.port === "" ? 6379 : Number(parsed.port);
  const dbText = parsed.pathname.replace(/^\//, "");
  if (dbText !== "" && !/^\d{1,2}$/.test(dbText))
    throw new QueueError(`${flag} ${display}: the path must be a database number (e.g. /0), received /${dbText}`, 2);
  if (parsed.search || parsed.hash)
    throw new QueueError(`${flag} ${display}: query strings and fragments are not supported`, 2);
  const options: RedisOptions = {
    host: parsed.hostname.replace(/^\[|\]$/g, ""),
    port,
    db: dbText === "" ? 0 : Number(dbText),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    // rediss:// verifies the server's certificate with Node's CA store (NODE_EXTRA_CA_CERTS adds one).
    ...(parsed.protocol === "rediss:" ? { tls: { servername: parsed.hostname } } : {}),
  };
  return { options, display };
}

function maskUrl(url: URL): string {
  // A scheme URL parsing does not know (x:secret@h) keeps its "password" in the path: mask both ways.
  if (!url.password) return maskLoose(url.href);
  const copy = new URL(url.href);
  copy.password = "***";
  return copy.href;
}

/** Masks `:secret@` in something that did not even parse as a URL. */
function maskLoose(text: string): string {
  return text.replace(/:[^:@/]*@/, ":***@");
}

/**
 * A connection for BullMQ. `maxRetriesPerRequest: null` is what BullMQ requires of a Worker's
 * connection, and it is also what makes a restarted Redis harmless: commands wait for the
 * reconnect instead of failing, so no job is lost or left half-moved.
 */
export function redisConnection(address: QueueAddress): Redis {
  return new Redis({
    ...address.options,
    maxRetriesPerRequest: null,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  });
}

/**
 * Connects (or fails with a message naming the flag and the masked URL) within `timeoutMs`: the
 * one place where "Redis is not there" becomes an error instead of an endless reconnect loop.
 */
export async function connectOrFail(
  client: Redis,
  address: QueueAddress,
  opts: { flag?: string; timeoutMs?: number } = {},
): Promise<void> {
  const flag = opts.flag ?? "--queue";
  const timeoutMs = opts.timeoutMs ?? 5000;
  let lastError: Error | null = null;
  const onError = (error: Error) => {
    lastError = error;
  };
  client.on("error", onError);
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise<never>((_, fail) => setTimeout(() => fail(new Error("timed out")), timeoutMs).unref()),
    ]);
  } catch (error) {
    client.disconnect();
    const why = describe(lastError ?? (error as Error));
    throw new QueueError(`${flag} ${address.display}: cannot reach Redis (${why})`);
  } finally {
    client.off("error", onError);
  }
}

function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message.replace(/:[^:@/\s]*@/g, ":***@");
  if (/NOAUTH|WRONGPASS|invalid password|invalid username-password/i.test(message))
    return `authentication failed: ${message}`;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}
