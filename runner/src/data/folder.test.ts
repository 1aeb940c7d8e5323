/** The folder source on files made in a temp dir: every format, broken files, links, the caches. */
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError } from "../errors";
import { loadDataset, loadImages, tileStats } from "./index";
import { common, folderData as folder, writeGoodSet, writeImage as image } from "./test-helpers";

let dir: string;
const opts = () => ({ seed: 1, baseDir: dir, cacheDir: join(dir, "cache"), onWarning: () => {} });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-data-"));
  await writeGoodSet(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("folder source", () => {
  it("reads every format and channel layout as RGB, classes sorted", async () => {
    const ds = await loadDataset(folder("good"), opts());
    expect(ds.classes).toEqual(["cat", "dog"]);
    expect(ds.items.map((i) => i.key)).toEqual([
      "cat/a.png",
      "cat/b.jpg",
      "cat/c.webp",
      "cat/d.tif",
      "dog/e.png",
      "dog/f.png",
      "dog/g.tiff",
      "dog/h16.png",
    ]);
    expect(ds.warnings.some((w) => w.includes("scan.bmp") && w.includes("not an image extension"))).toBe(true);
    const px = await loadImages(
      ds,
      ds.items.map((_, i) => i),
      4,
      "squish",
    );
    expect(px).toHaveLength(8 * 4 * 4 * 3);
    // the grey PNG (shade 50) decodes to R=G=B=50
    const grey = px.subarray(4 * 48, 4 * 48 + 3);
    expect([...grey]).toEqual([50, 50, 50]);
  });

  it("caches decoded tiles on disk: a fresh process state reads them back instead of decoding", async () => {
    const ds = await loadDataset(folder("good"), opts());
    const { memoryCache } = await import("./cache");
    await loadImages(ds, [0, 1], 6, "crop");
    memoryCache.clear();
    const before = { ...tileStats };
    await loadImages(ds, [0, 1], 6, "crop");
    expect(tileStats.disk - before.disk).toBe(2);
    expect(tileStats.decoded - before.decoded).toBe(0);
  });

  it("goes on without the disk cache when it cannot be written", async () => {
    const blocker = join(dir, "not-a-dir");
    await writeFile(blocker, "a file where the cache folder should be");
    const ds = await loadDataset(folder("good"), { ...opts(), cacheDir: blocker });
    const before = tileStats.writeErrors;
    const px = await loadImages(ds, [0, 1], 7, "squish");
    expect(px).toHaveLength(2 * 7 * 7 * 3);
    expect(tileStats.writeErrors - before).toBe(2);
  });

  it("a second load stats files instead of re-reading them, and re-reads a file whose mtime changed", async () => {
    const d = join(dir, "index");
    await image(join(d, "a/1.png"), 1, "png");
    await image(join(d, "a/2.png"), 2, "png");
    await image(join(d, "b/3.png"), 3, "png");
    await image(join(d, "b/4.png"), 4, "png");
    const file = join(d, "b/4.png");
    const mtime = new Date("2024-01-02T03:04:05Z");
    await utimes(file, mtime, mtime);
    const first = await loadDataset(folder("index"), opts());
    // Same size, same mtime, other content: the index is trusted (this is the documented trade).
    const original = await readFile(file);
    const other = await readFile(join(d, "b/3.png"));
    expect(other.length).toBe(original.length);
    await writeFile(file, other);
    await utimes(file, mtime, mtime);
    const second = await loadDataset(folder("index"), opts());
    expect(second.items[3]!.hash).toBe(first.items[3]!.hash);
    // A new mtime: read and hashed again (and now a duplicate of b/3.png).
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    const third = await loadDataset(folder("index"), opts());
    expect(third.items[3]!.hash).not.toBe(first.items[3]!.hash);
    expect(third.warnings.join()).toMatch(/identical images: b\/3\.png \(b\), b\/4\.png \(b\)/);
  });

  it("resize modes: pad letterboxes with black, crop and squish fill", async () => {
    await image(join(dir, "wide/x/w.png"), 255, "png");
    await image(join(dir, "wide/x/w3.png"), 253, "png");
    await image(join(dir, "wide/y/w2.png"), 254, "png");
    await image(join(dir, "wide/y/w4.png"), 252, "png");
    const ds = await loadDataset(folder("wide"), opts());
    const pad = await loadImages(ds, [0], 12, "pad");
    expect([...pad.subarray(0, 3)]).toEqual([0, 0, 0]); // top row is padding (12x8 -> 12x12)
    const crop = await loadImages(ds, [0], 12, "crop");
    expect([...crop.subarray(0, 3)]).toEqual([255, 100, 200]);
  });

  it("decodes upright by EXIF orientation and puts transparent pixels on white", async () => {
    const d = join(dir, "orient");
    // stored: left half red, right half blue; orientation 6 displays it turned 90 degrees clockwise
    const halves = Buffer.alloc(16 * 16 * 3);
    for (let p = 0; p < 256; p++) halves.set(p % 16 < 8 ? [255, 0, 0] : [0, 0, 255], p * 3);
    await mkdir(join(d, "a"), { recursive: true });
    await mkdir(join(d, "b"), { recursive: true });
    const raw = { raw: { width: 16, height: 16, channels: 3 as const } };
    await sharp(halves, raw).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toFile(join(d, "a/turned.jpg"));
    await sharp(halves, raw).jpeg({ quality: 100 }).toFile(join(d, "a/plain.jpg"));
    const clear = Buffer.alloc(16 * 16 * 4); // fully transparent black
    await sharp(clear, { raw: { width: 16, height: 16, channels: 4 } })
      .png()
      .toFile(join(d, "b/clear.png"));
    await sharp(halves, raw).png().toFile(join(d, "b/halves.png"));
    const ds = await loadDataset(folder("orient"), { ...opts(), cacheDir: false as const });
    const at = (key: string) => ds.items.findIndex((i) => i.key === key);
    const [plain, turned, clearPx] = await Promise.all(
      ["a/plain.jpg", "a/turned.jpg", "b/clear.png"].map((k) => loadImages(ds, [at(k)], 16, "squish")),
    );
    const px = (img: Uint8Array, x: number, y: number) => [...img.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3)];
    expect(px(plain!, 2, 8)[0]).toBeGreaterThan(200); // left is red
    expect(px(turned!, 8, 2)[0]).toBeGreaterThan(200); // turned clockwise: top is red
    expect(px(turned!, 8, 13)[2]).toBeGreaterThan(200); // bottom is blue
    expect(px(clearPx!, 5, 5)).toEqual([255, 255, 255]);
  });

  it("follows symbolic links to class folders and files, and survives a link loop", async () => {
    const d = join(dir, "linked");
    await mkdir(d, { recursive: true });
    await symlink(join(dir, "good/cat"), join(d, "cat"));
    await mkdir(join(d, "dog"));
    await symlink(join(dir, "good/dog/e.png"), join(d, "dog/e.png"));
    await symlink(join(dir, "good/dog/f.png"), join(d, "dog/f.png"));
    await symlink(d, join(d, "dog/loop"));
    const ds = await loadDataset(folder("linked"), { ...opts(), cacheDir: false as const });
    expect(ds.classes).toEqual(["cat", "dog"]);
    expect(ds.items.filter((i) => i.label === 1).map((i) => i.key)).toEqual(["dog/e.png", "dog/f.png"]);
  });

  it("labels by a file-name pattern (Kimia style)", async () => {
    await image(join(dir, "kimia/A1.tif"), 1, "tiff");
    await image(join(dir, "kimia/A2.tif"), 2, "tiff");
    await image(join(dir, "kimia/sub/B1.tif"), 3, "tiff");
    await image(join(dir, "kimia/B2.tif"), 4, "tiff");
    const pattern = { from: "filename", pattern: "^([A-T])\\d+\\.tif$" } as const;
    const ds = await loadDataset(folder("kimia", { label: pattern }), opts());
    expect(ds.classes).toEqual(["A", "B"]);
    await image(join(dir, "kimia/zz.tif"), 5, "tiff");
    await expect(loadDataset(folder("kimia", { label: pattern }), opts())).rejects.toThrow(
      /zz\.tif: file name does not match/,
    );
    const skipped = await loadDataset(folder("kimia", { label: pattern, on_bad_image: "skip" }), opts());
    expect(skipped.skipped.map((s) => s.file)).toEqual([join(dir, "kimia/zz.tif")]);
  });

  it("names the broken file: corrupt, zero-byte, or not an image at all; skip counts them", async () => {
    const bad = join(dir, "bad");
    await image(join(bad, "a/1.png"), 1, "png");
    await image(join(bad, "a/2.png"), 2, "png");
    await image(join(bad, "b/3.png"), 3, "png");
    await image(join(bad, "b/4.png"), 4, "png");
    await writeFile(join(bad, "b/empty.png"), "");
    await writeFile(join(bad, "b/text.jpg"), "hello, I am text");
    const err = await loadDataset(folder("bad"), opts()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(/empty\.png: zero-byte file/);
    expect((err as Error).message).toMatch(/text\.jpg: not a readable image/);
    const told: string[] = [];
    const ds = await loadDataset(folder("bad", { on_bad_image: "skip" }), {
      ...opts(),
      onWarning: (m) => told.push(m),
    });
    expect(ds.items).toHaveLength(4);
    expect(ds.skipped).toHaveLength(2);
    expect(told.join("\n")).toMatch(/skipped \(on_bad_image: skip\): .*empty\.png: zero-byte file/);
  });

  it("reports at most 20 warning lines, then a count", async () => {
    const d = join(dir, "noisy");
    for (const [cls, n] of [
      ["a", 1],
      ["a", 2],
      ["b", 3],
      ["b", 4],
    ] as const)
      await image(join(d, cls, `${n}.png`), n, "png");
    for (let i = 0; i < 25; i++) await writeFile(join(d, "a", `scan${i}.bmp`), "x");
    const told: string[] = [];
    await loadDataset(folder("noisy"), { ...opts(), onWarning: (m) => told.push(m) });
    expect(told).toHaveLength(21);
    expect(told[20]).toBe("... and 5 more data warnings");
  });

  it("warns about content/extension mismatch, and duplicates across classes", async () => {
    const d = join(dir, "odd");
    await image(join(d, "a/1.png"), 1, "png");
    await image(join(d, "a/really-jpeg.png"), 2, "jpeg");
    await image(join(d, "b/3.png"), 3, "png");
    await copyFile(join(d, "a/1.png"), join(d, "b/copy.png"));
    const ds = await loadDataset(folder("odd"), opts());
    expect(ds.warnings.join("\n")).toMatch(/really-jpeg\.png: the extension says png but the content is jpeg/);
    expect(ds.warnings.join("\n")).toMatch(
      /identical images in different classes: a\/1\.png \(a\), b\/copy\.png \(b\)/,
    );
  });

  it("a truncated image whose header is whole fails the start-up check (full decode), naming the file", async () => {
    const d = join(dir, "trunc");
    for (const [cls, n] of [
      ["a", 1],
      ["a", 2],
      ["b", 3],
      ["b", 4],
    ] as const) {
      await mkdir(join(d, cls), { recursive: true });
      const noisy = Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919 * n) % 251));
      await sharp(noisy, { raw: { width: 64, height: 64, channels: 3 } })
        .png()
        .toFile(join(d, cls, `${n}.png`));
    }
    const whole = await readFile(join(d, "b/4.png"));
    await writeFile(join(d, "b/4.png"), whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(loadDataset(folder("trunc"), { ...opts(), cacheDir: false as const })).rejects.toThrow(
      /trunc\/b\/4\.png: not a readable image/,
    );
  });

  it("fails clearly on a missing folder, an empty class folder, a single class, a too-small class", async () => {
    await expect(loadDataset(folder("nope"), opts())).rejects.toThrow(/nope: data folder \(data.path\) not found/);
    await mkdir(join(dir, "emptyclass/a"), { recursive: true });
    await mkdir(join(dir, "emptyclass/b"), { recursive: true });
    await image(join(dir, "emptyclass/a/1.png"), 1, "png");
    await expect(loadDataset(folder("emptyclass"), opts())).rejects.toThrow(/class folder 'b' has no images/);
    await image(join(dir, "one/a/1.png"), 1, "png");
    await expect(loadDataset(folder("one"), opts())).rejects.toThrow(/one class/);
    await image(join(dir, "small/a/1.png"), 1, "png");
    await image(join(dir, "small/a/2.png"), 2, "png");
    await image(join(dir, "small/b/3.png"), 3, "png");
    await expect(loadDataset(folder("small"), opts())).rejects.toThrow(/class 'b' has 1 image/);
  });

  it("predefined split from train/ and valid/ folders", async () => {
    for (const [split, n] of [
      ["train", 0],
      ["valid", 10],
    ] as const) {
      await image(join(dir, `pre/${split}/a/${split}1.png`), n + 1, "png");
      await image(join(dir, `pre/${split}/b/${split}2.png`), n + 2, "png");
    }
    const ds = await loadDataset(folder("pre", { split: { ...common.split, protocol: "predefined" } }), opts());
    expect(ds.folds[0]!.valid.map((i) => ds.items[i]!.key)).toEqual(["valid/a/valid1.png", "valid/b/valid2.png"]);
    await expect(
      loadDataset(folder("good", { split: { ...common.split, protocol: "predefined" } }), opts()),
    ).rejects.toThrow(/needs a 'train\/' folder/);
  });
});
