/**
 * A JPEG cut short: its header is whole, so a header-only check let it through and the run died at
 * its first decode (epoch 2, once the tile was not cached). The start-up check and `--check-data`
 * now decode fully, and `on_bad_image: skip` is honoured at decode time too.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { countData } from "../config/data-count";
import { DataError } from "../errors";
import { loadDataset, loadImages, tileStats } from "./index";
import { folderData } from "./test-helpers";

let dir: string;
const opts = () => ({ seed: 1, baseDir: dir, cacheDir: join(dir, "cache"), onWarning: () => {} });

/** A noisy 64x64 JPEG (noise so the entropy-coded data is long enough to cut). */
async function jpeg(file: string, seed: number): Promise<Buffer> {
  const raw = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 31 + seed * 17) % 251;
  const bytes = await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
    .jpeg()
    .toBuffer();
  await writeFile(file, bytes);
  return bytes;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-truncated-"));
  for (const cls of ["a", "b"]) {
    await import("node:fs/promises").then((fs) => fs.mkdir(join(dir, "set", cls), { recursive: true }));
    for (let i = 0; i < 3; i++) await jpeg(join(dir, "set", cls, `${i}.jpg`), i + (cls === "b" ? 10 : 0));
  }
  const whole = await readFile(join(dir, "set", "b", "2.jpg"));
  // Keep the header and half the scan: sharp's metadata() still reads it.
  await writeFile(join(dir, "set", "b", "2.jpg"), whole.subarray(0, Math.floor(whole.length / 2)));
  expect((await sharp(join(dir, "set", "b", "2.jpg")).metadata()).width).toBe(64);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("a truncated JPEG", () => {
  it("fails the start-up check, naming the file", async () => {
    const load = loadDataset(folderData("set"), opts());
    await expect(load).rejects.toThrow(DataError);
    await expect(loadDataset(folderData("set"), opts())).rejects.toThrow(/b\/2\.jpg: not a readable image/);
  });

  it("fails plan/validate --check-data too", async () => {
    await expect(countData(folderData(join(dir, "set")), 1)).rejects.toThrow(/b\/2\.jpg: not a readable image/);
  });

  it("is left out under on_bad_image: skip, at the check and in --check-data's counts", async () => {
    const ds = await loadDataset(folderData("set", { on_bad_image: "skip" }), opts());
    expect(ds.items.map((i) => i.key)).not.toContain("b/2.jpg");
    expect(ds.skipped.map((s) => s.file)).toEqual([join(dir, "set", "b", "2.jpg")]);
    const count = await countData(folderData(join(dir, "set"), { on_bad_image: "skip" }), 1);
    expect(count.images).toBe(5);
    expect(count.warnings.some((w) => w.includes("2.jpg"))).toBe(true);
  });

  it("cut after the check: skip gives a black tile and a warning, error stops with the file's name", async () => {
    const file = join(dir, "set", "a", "1.jpg");
    const ds = await loadDataset(folderData("set", { on_bad_image: "skip" }), { ...opts(), cacheDir: false });
    const slot = ds.items.findIndex((i) => i.file === file);
    const whole = await readFile(file);
    await writeFile(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const warn = vi.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const before = tileStats.skipped;
      const px = await loadImages(ds, [slot], 9, "squish");
      expect([...px].every((v) => v === 0)).toBe(true);
      expect(tileStats.skipped).toBe(before + 1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/skipped \(on_bad_image: skip\): .*1\.jpg: cannot decode/);
    } finally {
      warn.mockRestore();
    }
    await expect(loadImages({ ...ds, onBadImage: "error" }, [slot], 10, "squish")).rejects.toThrow(
      /1\.jpg: cannot decode the image/,
    );
    await writeFile(file, whole);
  });
});
