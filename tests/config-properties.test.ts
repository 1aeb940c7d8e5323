/**
 * Properties of the experiment language, over generated configs (fast-check):
 * `resolve` is idempotent (through `toWritten` and through the YAML a run folder stores), and
 * `config_hash` ignores key order and comments but not a value that defines the experiment.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { Document, stringify } from "yaml";
import { describe, expect, it } from "vitest";
import type { ExperimentConfig } from "@tessera/shared";
import { checkConfig, configHash, resolve, toWritten } from "../runner/src/config";

const GROUPINGS: Record<string, string[]>[] = [
  { early: ["stem", "conv2", "conv3"], late: ["conv4", "conv5"], head: ["head"] },
  { body: ["stem", "conv2", "conv3", "conv4", "conv5"], head: ["head"] },
  { a: ["stem"], b: ["conv2", "conv3"], c: ["conv4"], d: ["conv5", "head"] },
];

const lr = fc.oneof(
  fc.double({ min: 1e-8, max: 1, noNaN: true }),
  fc
    .tuple(fc.double({ min: 1e-8, max: 1, noNaN: true }), fc.double({ min: 1, max: 1e4, noNaN: true }))
    .map(([min, ratio]) => ({ min, max: min * ratio })),
  fc.record(
    {
      find: fc.constant(true as const),
      suggest: fc.constantFrom("valley", "steep", "minimum", "slide"),
      spread: fc.integer({ min: 1, max: 1000 }),
    },
    { requiredKeys: ["find"] },
  ),
);

const schedule = fc.oneof(
  fc.constantFrom("constant", "one_cycle", "sgdr", "flat_cos"),
  fc.record(
    { name: fc.constant("one_cycle"), pct_start: fc.double({ min: 0.05, max: 0.95, noNaN: true }) },
    { requiredKeys: ["name"] },
  ),
  fc.record(
    { name: fc.constant("flat_cos"), pct_start: fc.double({ min: 0.05, max: 0.95, noNaN: true }) },
    { requiredKeys: ["name"] },
  ),
);

const config: fc.Arbitrary<ExperimentConfig> = fc
  .record({
    grouping: fc.integer({ min: 0, max: GROUPINGS.length - 1 }),
    seed: fc.option(fc.integer({ min: 0, max: 1e6 }), { nil: undefined }),
    data: fc.oneof(
      fc.record(
        { source: fc.constant("synthetic" as const), classes: fc.integer({ min: 2, max: 8 }) },
        { requiredKeys: ["source"] },
      ),
      fc.record({ source: fc.constant("folder" as const), path: fc.constantFrom("/data/a", "/data/b") }),
    ),
    batch: fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }),
    recompute: fc.option(fc.boolean(), { nil: undefined }),
    stages: fc.array(
      fc.record(
        {
          trainable: fc.constantFrom("all" as const, "last" as const),
          epochs: fc.integer({ min: 1, max: 5 }),
          size: fc.integer({ min: 32, max: 256 }),
          lr,
          schedule,
          train_bn: fc.boolean(),
          bn: fc.constantFrom("train" as const, "inference" as const, "frozen" as const),
        },
        { requiredKeys: ["trainable", "epochs", "size", "lr"] },
      ),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ grouping, seed, data, batch, recompute, stages }) => ({
    name: "prop",
    ...(seed !== undefined ? { seed } : {}),
    data,
    model: { backbone: "resnet18" as const, width: 0.25, groups: GROUPINGS[grouping] as never },
    train: {
      ...(batch !== undefined ? { batch_size: batch } : {}),
      ...(recompute !== undefined ? { recompute } : {}),
      stages: stages.map((s) => ({
        ...s,
        trainable: s.trainable === "all" ? ("all" as const) : [Object.keys(GROUPINGS[grouping]!).at(-1)!],
      })) as never,
    },
  }));

/** The same object with every mapping's keys in a shuffled order. */
function shuffleKeys(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rand));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  // model.groups' order is the network order; it is data, not layout.
  const keep = entries.some(
    ([, v]) => Array.isArray(v) && v.every((p) => typeof p === "string" && /^(stem|conv\d|head)$/.test(p)),
  );
  const order = keep
    ? entries
    : entries
        .map((e) => [rand(), e] as const)
        .sort((a, b) => a[0] - b[0])
        .map(([, e]) => e);
  return Object.fromEntries(order.map(([k, v]) => [k, shuffleKeys(v, rand)]));
}

function yamlWithComments(value: unknown, seed: number): string {
  const doc = new Document(value);
  doc.commentBefore = ` generated case ${seed}`;
  return doc
    .toString()
    .split("\n")
    .map((line, i) => (i % 3 === seed % 3 && line.trim() !== "" && !line.includes("#") ? `${line} # note ${i}` : line))
    .join("\n");
}

const tmp = mkdtempSync(join(tmpdir(), "tessera-prop-"));
const write = (name: string, text: string) => {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
};

describe("resolve", () => {
  it("is idempotent through toWritten", () => {
    fc.assert(
      fc.property(config, (written) => {
        const once = resolve(written);
        expect(resolve(toWritten(once))).toEqual(once);
        expect(configHash(resolve(toWritten(once)))).toBe(configHash(once));
      }),
      { numRuns: 200 },
    );
  });

  it("is idempotent through the stored YAML, which validates", async () => {
    await fc.assert(
      fc.asyncProperty(config, async (written) => {
        const first = await checkConfig(write("first.yaml", stringify(written)));
        if (!first.ok) throw new Error(first.errors.map((p) => `${p.path}: ${p.message}`).join("\n"));
        const second = await checkConfig(write("second.yaml", first.loaded.resolvedYaml));
        if (!second.ok) throw new Error(second.errors.map((p) => `${p.path}: ${p.message}`).join("\n"));
        expect(second.loaded.config).toEqual(first.loaded.config);
      }),
      { numRuns: 40 },
    );
  });
});

describe("config_hash", () => {
  it("ignores key order and comments", async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.integer({ min: 1, max: 1e9 }), async (written, seed) => {
        let s = seed;
        const rand = () => (s = (s * 16807) % 2147483647) / 2147483647;
        const a = await checkConfig(write("a.yaml", stringify(written)));
        const b = await checkConfig(write("b.yaml", yamlWithComments(shuffleKeys(written, rand), seed)));
        if (!a.ok || !b.ok) throw new Error("generated config did not load");
        expect(b.loaded.configHash).toBe(a.loaded.configHash);
        // resolve() rebuilds objects in one key order; the hash must not rely on that either.
        const shuffled = shuffleKeys(a.loaded.config, rand) as typeof a.loaded.config;
        expect(configHash(shuffled)).toBe(a.loaded.configHash);
      }),
      { numRuns: 40 },
    );
  });

  it("changes with a value that defines the experiment, not with data.path or backend", () => {
    fc.assert(
      fc.property(config, (written) => {
        const base = resolve(written);
        const moreEpochs = structuredClone(base);
        moreEpochs.train.stages[0]!.epochs += 1;
        expect(configHash(moreEpochs)).not.toBe(configHash(base));
        const elsewhere = structuredClone(base);
        elsewhere.backend = elsewhere.backend === "wasm" ? "cpu" : "wasm";
        if ("path" in elsewhere.data) elsewhere.data.path = "/another/machine/data";
        expect(configHash(elsewhere)).toBe(configHash(base));
      }),
      { numRuns: 100 },
    );
  });
});
