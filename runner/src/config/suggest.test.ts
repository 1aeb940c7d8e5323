import { describe, expect, it } from "vitest";
import { pickBranch } from "./union-errors";
import { nearest } from "./suggest";

describe("nearest", () => {
  it("suggests prefixes and close typos, not far-fetched words", () => {
    expect(nearest("lr_range", ["lr", "epochs", "size"])).toBe("lr");
    expect(nearest("widht", ["width", "head", "groups"])).toBe("width");
    expect(nearest("synthtic", ["folder", "csv", "synthetic"])).toBe("synthetic");
    expect(nearest("classes", ["source", "path", "label"])).toBeNull();
  });
});

describe("pickBranch (untagged unions)", () => {
  const lr = [
    { type: "number" },
    { type: "object", properties: { min: {}, max: {} }, required: ["min", "max"] },
    { type: "object", properties: { find: { const: true }, suggest: {} }, required: ["find"] },
  ];
  it("picks by type, then by the keys a mapping has", () => {
    expect(pickBranch(lr, 1e-3)).toBe(0);
    expect(pickBranch(lr, { min: "x", max: 1 })).toBe(1);
    expect(pickBranch(lr, { find: false })).toBe(2);
    expect(pickBranch(lr, "fast")).toBeNull();
    expect(pickBranch(lr, { foo: 1 })).toBeNull();
  });
  it("gives up on a literal the value is not", () => {
    const trainable = [{ const: "all" }, { type: "array" }];
    expect(pickBranch(trainable, "al")).toBeNull();
    expect(pickBranch(trainable, ["head", "head"])).toBe(1);
  });
});
