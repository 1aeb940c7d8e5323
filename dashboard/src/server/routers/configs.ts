/**
 * `configs.*`: the experiment files in the configs folder, and their validation with the runner's
 * own loader, so the dashboard shows exactly the problems `tessera validate` prints.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
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

const configName = z.string().min(1).max(300);

export const configsRouter = router({
  list: publicProcedure.query(async () => ({ dir: configsDir(), files: await yamlFiles(configsDir()) })),
  get: publicProcedure
    .input(z.object({ name: configName }))
    .query(async ({ input }) => ({ name: input.name, yaml: await readFile(resolveConfigFile(input.name), "utf8") })),
  validate: publicProcedure
    .input(z.object({ name: configName }))
    .query(async ({ input }) => validateConfigFile(resolveConfigFile(input.name))),
});
