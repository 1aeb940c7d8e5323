/**
 * The committed `experiment.schema.json`, as text: what `pnpm schema:write` writes and the drift
 * test compares against. Editors read it through `# yaml-language-server: $schema=...`.
 */
import { ExperimentSchema } from "./schema";

/** The JSON Schema document (draft-07) of an experiment file, pretty-printed with a final newline. */
export function experimentSchemaJson(): string {
  const doc = { $schema: "http://json-schema.org/draft-07/schema#", ...ExperimentSchema };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
