/** The CSV source on files made in a temp dir: quoting, BOM, CRLF, bad rows, the split column. */
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDataset } from "./index";
import { common, csvData as csv, writeGoodSet } from "./test-helpers";

let dir: string;
const opts = () => ({ seed: 1, baseDir: dir, cacheDir: join(dir, "cache"), onWarning: () => {} });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-csv-"));
  await writeGoodSet(dir);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("csv source", () => {
  const write = (name: string, text: string) => writeFile(join(dir, "good", name), text);

  it("reads quoted paths, a BOM, CRLF and blank lines; paths are relative to the CSV", async () => {
    await copyFile(join(dir, "good/cat/a.png"), join(dir, "good/with, comma.png"));
    await write(
      "ok.csv",
      '\ufeffpath,kind\r\n"with, comma.png",cat\r\n\r\ncat/b.jpg,cat\r\ndog/e.png,dog\r\ndog/f.png,dog\r\n',
    );
    const ds = await loadDataset(csv("good/ok.csv", { columns: { file: "path", label: "kind", split: null } }), opts());
    expect(ds.classes).toEqual(["cat", "dog"]);
    expect(ds.items.map((i) => i.key)).toContain("with, comma.png");
  });

  it("names a missing column with the nearest one", async () => {
    await write("cols.csv", "file,lable\ncat/a.png,cat\n");
    await expect(loadDataset(csv("good/cols.csv"), opts())).rejects.toThrow(
      /data.columns.label: no column 'label'; columns are 'file', 'lable' \(did you mean 'lable'\?\)/,
    );
  });

  it("names the row of an empty label, a missing file, a non-image and a bad split value", async () => {
    await write("rows.csv", "file,label\ncat/a.png,cat\ncat/b.jpg,\n");
    await expect(loadDataset(csv("good/rows.csv"), opts())).rejects.toThrow(
      /rows\.csv row 3: 'cat\/b.jpg': empty 'label' cell/,
    );
    await write("missing.csv", "file,label\ncat/zzz.png,cat\n");
    await expect(loadDataset(csv("good/missing.csv"), opts())).rejects.toThrow(/row 2: 'cat\/zzz.png': file not found/);
    await write("ext.csv", "file,label\ndog/scan.bmp,dog\n");
    await expect(loadDataset(csv("good/ext.csv"), opts())).rejects.toThrow(
      /row 2: 'dog\/scan.bmp': not an image extension/,
    );
    await write("split.csv", "file,label,split\ncat/a.png,cat,train\ndog/e.png,dog,test\n");
    const predefined = { split: { ...common.split, protocol: "predefined" as const } };
    await expect(loadDataset(csv("good/split.csv", predefined), opts())).rejects.toThrow(
      /row 3: 'split' is 'test', expected train or valid/,
    );
  });

  it("uses the split column, and rejects a label that only valid rows have", async () => {
    const predefined = { split: { ...common.split, protocol: "predefined" as const } };
    await write(
      "s.csv",
      "file,label,split\ncat/a.png,cat,train\ncat/b.jpg,cat,valid\ndog/e.png,dog,train\ndog/f.png,dog,val\n",
    );
    const ds = await loadDataset(csv("good/s.csv", predefined), opts());
    expect(ds.folds[0]!.valid.map((i) => ds.items[i]!.key)).toEqual(["cat/b.jpg", "dog/f.png"]);
    await write("u.csv", "file,label,split\ncat/a.png,cat,train\ndog/e.png,dog,train\ncat/b.jpg,bird,valid\n");
    await expect(loadDataset(csv("good/u.csv", predefined), opts())).rejects.toThrow(
      /unknown label 'bird' for 'cat\/b.jpg' in valid rows/,
    );
  });

  it("skips bad rows under on_bad_image: skip and warns about repeats", async () => {
    await write(
      "skip.csv",
      "file,label\ncat/a.png,cat\ncat/a.png,cat\ncat/b.jpg,cat\ncat/nope.png,cat\ndog/e.png,dog\ndog/f.png,dog\n",
    );
    const ds = await loadDataset(csv("good/skip.csv", { on_bad_image: "skip" }), opts());
    expect(ds.items).toHaveLength(4);
    expect(ds.skipped).toHaveLength(1);
    expect(ds.warnings.join()).toMatch(/row 3: 'cat\/a.png' is listed again \(first at row 2\)/);
  });
});
