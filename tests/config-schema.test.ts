/**
 * The committed JSON Schema is generated from the TypeBox code and must not drift from it (run
 * `pnpm schema:write` after changing shared/src/schema.ts); every committed config points editors
 * at it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { format, resolveConfig } from "prettier";
import { describe, expect, it } from "vitest";
import { BACKENDS } from "../shared/src/schema";
import { experimentSchemaJson } from "../shared/src/schema-json";
import { experimentValidatorCode } from "../shared/src/validator-code";
import { REPO_ROOT } from "./helpers/paths";

const SCHEMA_FILE = join(REPO_ROOT, "shared", "experiment.schema.json");

describe("shared/experiment.schema.json", () => {
  it("matches the TypeBox schema (run `pnpm schema:write` if this fails)", async () => {
    const expected = await format(experimentSchemaJson(), {
      ...(await resolveConfig(SCHEMA_FILE)),
      filepath: SCHEMA_FILE,
    });
    expect(readFileSync(SCHEMA_FILE, "utf8")).toBe(expected);
  });

  it("has its Ajv validator compiled ahead of time beside it (run `pnpm schema:write` if this fails)", () => {
    const committed = readFileSync(join(REPO_ROOT, "shared", "experiment.validate.js"), "utf8");
    expect(committed).toBe(experimentValidatorCode());
  });

  it("documents every field with a description", () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== "object") return;
      const n = node as Record<string, unknown>;
      for (const [key, child] of Object.entries((n.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (typeof child.description !== "string") undocumented.push(`${path}.${key}`);
        walk(child, `${path}.${key}`);
      }
      for (const branch of [...((n.oneOf ?? []) as unknown[]), ...((n.anyOf ?? []) as unknown[])]) walk(branch, path);
      if (n.items && !Array.isArray(n.items)) walk(n.items, `${path}[]`);
    };
    walk(JSON.parse(readFileSync(SCHEMA_FILE, "utf8")), "");
    expect(undocumented).toEqual([]);
  });
});

describe("configs/*.yaml", () => {
  const files = readdirSync(join(REPO_ROOT, "configs")).filter((f) => f.endsWith(".yaml"));
  it("exist: demo, kimia960-resnet152, kimia960-resnet50", () => {
    expect(files).toEqual(expect.arrayContaining(["demo.yaml", "kimia960-resnet152.yaml", "kimia960-resnet50.yaml"]));
  });
  for (const file of files) {
    it(`${file} starts with the yaml-language-server schema comment`, () => {
      const first = readFileSync(join(REPO_ROOT, "configs", file), "utf8").split("\n")[0];
      expect(first).toBe("# yaml-language-server: $schema=../shared/experiment.schema.json");
    });
  }

  it("the backend's description names every backend an editor can pick", () => {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, "utf8")) as {
      properties: { backend: { description: string } };
    };
    const missing = BACKENDS.filter((b) => b !== "auto" && !schema.properties.backend.description.includes(b));
    expect(missing).toEqual([]);
  });
});
