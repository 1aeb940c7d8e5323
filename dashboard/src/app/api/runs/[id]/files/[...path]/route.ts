/** Images from inside a run folder (top-loss thumbnails); nothing outside the run store. */
import { serveRunFile } from "../../../../../../server/http";

export const dynamic = "force-dynamic";

export async function GET(_req: Request, ctx: { params: Promise<{ id: string; path: string[] }> }): Promise<Response> {
  const { id, path } = await ctx.params;
  return serveRunFile(id, path);
}
