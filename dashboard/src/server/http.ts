/**
 * The request handlers behind the Next route files, kept as plain `Request -> Response`
 * functions so Node tests can drive them without a browser or a Next build.
 */
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "./routers/_app";
import { PathRefusedError, resolveRunFile } from "./store/paths";

/** The tRPC endpoint (queries, and `runs.events` as Server-Sent Events). */
export function handleTrpc(req: Request): Promise<Response> {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => ({ headers: req.headers }),
  });
}

const imageTypes: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".webp": "image/webp",
};

/**
 * Serves an image from inside one run folder (top-loss thumbnails). Only images, only inside the
 * run: `../`, absolute paths and links leading out are refused with 400.
 */
export async function serveRunFile(id: string, parts: string[]): Promise<Response> {
  let rel: string;
  try {
    rel = parts.map((p) => decodeURIComponent(p)).join("/");
  } catch {
    // A `%` that starts no valid escape (`%zz`): the client's mistake, not a server error.
    return new Response("the file path has a malformed % escape", { status: 400 });
  }
  let file: string;
  try {
    file = resolveRunFile(id, rel);
  } catch (error) {
    if (error instanceof PathRefusedError) return new Response(error.message, { status: 400 });
    throw error;
  }
  const type = imageTypes[extname(file).toLowerCase()];
  if (!type)
    return new Response(`only images are served from run folders, not ${JSON.stringify(rel)}`, { status: 400 });
  try {
    const body = await readFile(file);
    return new Response(new Uint8Array(body), {
      headers: { "content-type": type, "cache-control": "private, max-age=3600" },
    });
  } catch {
    return new Response(`no file ${JSON.stringify(rel)} in run ${id}`, { status: 404 });
  }
}
