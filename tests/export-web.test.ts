/**
 * `tessera export --format web` writes a static page that labels tiles in the browser: chromium
 * loads it from a loopback static server (no CDN: the page may fetch only from that server), real
 * Kimia tiles (TIFF as they are, and one as PNG) are set on its file input, and the
 * class it shows for each equals `tessera predict`'s.
 */
import { createServer, type Server } from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../runner/src/cli/main";
import { openRunModel, predictFiles } from "../runner/src/inference/predict";
import { browserUnavailable, launch } from "./e2e/browser";
import { kimiaTiles, trainKimiaRun } from "./helpers/kimia-run";

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".json": "application/json" };

let work: string;
let runDir: string | null = null;
let skip = "";
let server: Server;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "tessera-web-"));
  skip = (await browserUnavailable()) ?? "";
  if (skip) return;
  const r = await trainKimiaRun(work);
  if ("skip" in r) skip = r.skip;
  else runDir = r.runDir;
});
afterAll(async () => {
  await new Promise((r) => (server ? server.close(r) : r(null)));
  rmSync(work, { recursive: true, force: true });
});

/** Serves `root` read-only on 127.0.0.1 at a free port; records every path asked for. */
async function staticServer(root: string, asked: string[]): Promise<string> {
  server = createServer((req, res) => {
    const path =
      normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^\/+/, "") || "index.html";
    asked.push(path);
    const file = join(root, path);
    if (!file.startsWith(root) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}

describe("tessera export --format web", () => {
  it("the page shows tessera predict's class for real Kimia tiles", async (ctx) => {
    if (!runDir) return ctx.skip(skip);
    const out = join(work, "web");
    expect(await main(["export", runDir, "--out", out, "--format", "web"])).toBe(0);
    // Real tiles as they are (TIFF, decoded by the page's UTIF) and one converted to PNG (the browser's own decoder).
    const tifs = ["A", "B", "C"].flatMap((c) => kimiaTiles(c, 1, 12));
    const png = join(work, "B-tile.png");
    await sharp(kimiaTiles("B", 1, 13)[0]!)
      .png()
      .toFile(png);
    const pngs = [...tifs, png];
    const m = await openRunModel(runDir);
    const expected = (await predictFiles(m, pngs)).predictions.map((p) => p.label);
    m.model.dispose();
    expect(new Set(expected).size).toBeGreaterThan(1); // a one-class model would make the check empty

    const asked: string[] = [];
    const url = await staticServer(out, asked);
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const external: string[] = [];
      page.on(
        "request",
        (r) => void (r.url().startsWith(url) || r.url().startsWith("data:") || external.push(r.url())),
      );
      await page.goto(`${url}/index.html`);
      await page.waitForSelector("body[data-ready=true]", { timeout: 60_000 });
      await page.setInputFiles("#files", pngs);
      await page.waitForSelector(`#results li:nth-child(${pngs.length})[data-label], #results li[data-error]`, {
        timeout: 60_000,
      });
      const shown = await page.$$eval("#results li", (lis) =>
        lis.map((li) => li.getAttribute("data-label") ?? li.textContent),
      );
      expect(shown).toEqual(expected);
      expect(await page.textContent("#status")).toContain("3 classes, 48 px");
      expect(external).toEqual([]);
      expect(asked).toEqual(
        expect.arrayContaining(["index.html", "app.js", "model.json", "weights.bin", "tessera-model.json"]),
      );
    } finally {
      await browser.close();
    }
  });
});
