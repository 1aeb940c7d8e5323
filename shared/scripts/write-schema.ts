/**
 * `pnpm schema:write`: regenerates shared/experiment.schema.json from the TypeBox code in
 * shared/src/schema.ts (run it after changing the schema; a test fails while the two differ).
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { experimentSchemaJson } from "../src/schema-json";

const target = fileURLToPath(new URL("../experiment.schema.json", import.meta.url));
const options = { ...(await resolveConfig(target)), filepath: target };
writeFileSync(target, await format(experimentSchemaJson(), options));
process.stderr.write(`wrote ${target}\n`);
