/**
 * The dashboard server's one request listener: the access check, then Next. Every failure ends
 * in an answer — a throw (sync or async) becomes a 500 — because an exception escaping a Node
 * request listener leaves the socket open with no reply, and a client retrying holds one more.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { admit, type WorkerTokens } from "./auth";

/** Next's `getRequestHandler()` shape. */
export type NextHandle = (req: IncomingMessage, res: ServerResponse) => Promise<unknown>;

/** Builds the listener for `createServer`; `log` gets the message of anything that went wrong. */
export function requestListener(
  token: string | null,
  handle: NextHandle,
  log: (line: string) => void,
  workers: WorkerTokens = () => null,
): RequestListener {
  const fail = (res: ServerResponse, error: unknown) => {
    log(`tessera dashboard: ${error instanceof Error ? error.message : String(error)}`);
    if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" }).end("internal error\n");
    else res.end();
  };
  return (req, res) => {
    try {
      if (!admit(req, res, token, workers)) return;
      handle(req, res).catch((error: unknown) => fail(res, error));
    } catch (error) {
      fail(res, error);
    }
  };
}
