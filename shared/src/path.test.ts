import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FORBIDDEN_KEYS, formatPath, getAtPath, nameIndices, parsePath, PathSyntaxError } from "./path";

describe("config paths", () => {
  it("formats and parses DESIGN's syntax", () => {
    expect(formatPath(["train", "stages", 1, "lr", "min"])).toBe("train.stages[1].lr.min");
    expect(parsePath("train.stages[1].lr.min")).toEqual(["train", "stages", 1, "lr", "min"]);
  });
  it("round-trips stage names and odd keys", () => {
    const segs = ["train", "stages", { name: "fine-tune" }, "lr", "min"];
    expect(formatPath(segs)).toBe("train.stages[fine-tune].lr.min");
    expect(parsePath("train.stages[fine-tune].lr.min")).toEqual(segs);
    const odd = ["model", "groups", "my group", 0];
    expect(formatPath(odd)).toBe('model.groups["my group"][0]');
    expect(parsePath('model.groups["my group"][0]')).toEqual(odd);
    expect(formatPath([])).toBe("(root)");
  });
  it("rejects bad syntax with the offset", () => {
    expect(() => parsePath("train..stages")).toThrow(PathSyntaxError);
    expect(() => parsePath("train.stages[1")).toThrow(/unclosed/);
    expect(() => parsePath("train.stages[ x ]")).toThrow(/character 14/);
  });
  it("names stage indices and follows named segments", () => {
    const config = { train: { stages: [{ name: "head" }, { name: "fine-tune", lr: { min: 1 } }, { epochs: 1 }] } };
    expect(formatPath(nameIndices(parsePath("train.stages[1].lr.min"), config))).toBe("train.stages[fine-tune].lr.min");
    expect(formatPath(nameIndices(parsePath("train.stages[2].epochs"), config))).toBe("train.stages[2].epochs");
    expect(getAtPath(config, parsePath("train.stages[fine-tune].lr.min"))).toBe(1);
    expect(getAtPath(config, parsePath("train.stages[9]"))).toBeUndefined();
  });
});

describe("config paths refuse prototype keys", () => {
  it.each(["__proto__.x", "a.constructor", 'a["prototype"]', "a[0].__proto__"])("%s", (path) => {
    expect(() => parsePath(path)).toThrow(PathSyntaxError);
    expect(() => parsePath(path)).toThrow(/is not allowed as a key/);
  });
});

describe("config paths (properties)", () => {
  const key = fc
    .oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,8}$/), fc.string({ maxLength: 6 }))
    .filter((k) => !FORBIDDEN_KEYS.has(k));
  const segment = fc.oneof(
    key,
    fc.nat({ max: 99 }),
    fc
      .stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}$/)
      .filter((name) => !/^\d+$/.test(name))
      .map((name) => ({ name })),
  );
  it("parsePath(formatPath(p)) gives p back", () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), (segments) => {
        expect(parsePath(formatPath(segments))).toEqual(segments);
      }),
      { numRuns: 500 },
    );
  });
});
