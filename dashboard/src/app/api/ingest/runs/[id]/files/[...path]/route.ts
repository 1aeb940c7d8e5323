/**
 * Worker uploads and downloads of run files (see server/ingest/files.ts). A route handler rather
 * than code in front of Next: the body streams through `req.body` all the same, and the handlers
 * stay plain `Request -> Response` functions that tests drive without a build.
 */
import { getRunFile, putRunFile } from "../../../../../../../server/ingest/files";

export const dynamic = "force-dynamic";

type Ctx = { params: Promise<{ id: string; path: string[] }> };

export async function PUT(req: Request, ctx: Ctx): Promise<Response> {
  const { id, path } = await ctx.params;
  return putRunFile(req, id, path);
}

export async function GET(req: Request, ctx: Ctx): Promise<Response> {
  const { id, path } = await ctx.params;
  return getRunFile(req, id, path);
}
