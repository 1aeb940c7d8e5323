/**
 * `configs.*`: the experiment files in the configs folder, and their validation with the runner's
 * own loader, so the dashboard shows exactly the problems `tessera validate` prints.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { publicProcedure, router } from "../trpc";
import { configsDir, resolveConfigFile } from "../store/paths";
import { validateConfigFile } from "../store/validate";

async function yamlFiles(root: string, dir = root): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(root, path)));
    else if (/\.ya?ml$/.test(e.name)) out.push(relative(root, path));
  }
  return out.sort();
}

/** A config's text; a missing one is NOT_FOUND naming only what the client asked for. */
async function readConfig(name: string): Promise<string> {
  try {
    return await readFile(resolveConfigFile(name), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Node's own message holds the server's absolute path, which is none of the client's business.
    if (code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR") {
      throw new TRPCError({ code: "NOT_FOUND", message: `no config file ${JSON.stringify(name)}` });
    }
    throw error;
  }
}

const configName = z.string().min(1).max(300);

export const configsRouter = router({
  list: publicProcedure.query(async () => ({ dir: configsDir(), files: await yamlFiles(configsDir()) })),
  get: publicProcedure
    .input(z.object({ name: configName }))
    .query(async ({ input }) => ({ name: input.name, yaml: await readConfig(input.name) })),
  validate: publicProcedure
    .input(z.object({ name: configName }))
    .query(async ({ input }) => validateConfigFile(resolveConfigFile(input.name))),
});
