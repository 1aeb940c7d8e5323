/**
 * `pnpm schema:write`: regenerates shared/experiment.schema.json from the TypeBox code in
 * shared/src/schema.ts, and the Ajv validator compiled from it ahead of time,
 * shared/experiment.validate.js (run it after changing the schema; a test fails while they differ).
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { format, resolveConfig } from "prettier";
import { experimentSchemaJson } from "../src/schema-json";
import { experimentValidatorCode } from "../src/validator-code";

const target = fileURLToPath(new URL("../experiment.schema.json", import.meta.url));
const options = { ...(await resolveConfig(target)), filepath: target };
writeFileSync(target, await format(experimentSchemaJson(), options));
process.stderr.write(`wrote ${target}\n`);

const validator = fileURLToPath(new URL("../experiment.validate.js", import.meta.url));
writeFileSync(validator, experimentValidatorCode());
process.stderr.write(`wrote ${validator}\n`);
