/** The downloader against a loopback HTTP server serving files made here (no network needed). */
import { createHash, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataError } from "../../errors";
import { fetchDataset } from "./datasets";
import { download, parseChecksumUrl } from "./download";

const payload = randomBytes(300_000);
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
let server: Server;
let base: string;
let dir: string;
let archive: Buffer;
const ranges: (string | undefined)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tessera-fetch-"));
  await mkdir(join(dir, "src/Kimia"), { recursive: true });
  for (const f of ["A1.tif", "A2.tif", "B1.tif"]) await writeFile(join(dir, "src/Kimia", f), f);
  execFileSync("tar", ["-czf", join(dir, "kimia.tar.gz"), "-C", join(dir, "src"), "Kimia"]);
  archive = await readFile(join(dir, "kimia.tar.gz"));
  server = createServer((req, res) => {
    ranges.push(req.headers.range);
    const body = req.url === "/kimia.tar.gz" ? archive : payload;
    if (req.url === "/missing") {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (m && req.url !== "/norange") {
      const start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416).end();
        return;
      }
      res.writeHead(206, {
        "content-length": body.length - start,
        "content-range": `bytes ${start}-${body.length - 1}/${body.length}`,
      });
      res.end(body.subarray(start));
      return;
    }
    res.writeHead(200, { "content-length": body.length });
    if (req.url === "/stall") {
      res.write(body.subarray(0, 1_000)); // then nothing, connection open: a stalled server
      return;
    }
    if (req.url === "/drop") {
      // Send a third, then cut the connection: an interrupted download.
      res.write(body.subarray(0, 100_000), () => res.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("download", () => {
  it("downloads and checks the sha256", async () => {
    const dest = join(dir, "a.bin");
    const seen: number[] = [];
    const r = await download({ url: `${base}/a.bin`, dest, sha256: sha(payload), onProgress: (d) => seen.push(d) });
    expect(sha(await readFile(dest))).toBe(sha(payload)); // not toEqual: deep-equal over 300k bytes takes seconds
    expect(r).toMatchObject({ bytes: payload.length, sha256: sha(payload), resumedFrom: 0, verified: true });
    expect(seen.at(-1)).toBe(payload.length);
  });

  it("resumes an interrupted download with a Range request", async () => {
    const dest = join(dir, "drop.bin");
    await expect(download({ url: `${base}/drop`, dest, sha256: sha(payload), retries: 0 })).rejects.toThrow(
      /download interrupted after \d+ bytes .*run the same command again to resume/,
    );
    const partial = (await readFile(`${dest}.part`)).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(payload.length);
    ranges.length = 0;
    const r = await download({ url: `${base}/b.bin`, dest, sha256: sha(payload) });
    expect(ranges).toEqual([`bytes=${partial}-`]);
    expect(r.resumedFrom).toBe(partial);
    expect(sha(await readFile(dest))).toBe(sha(payload)); // not toEqual: deep-equal over 300k bytes takes seconds
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it("retries a dropped connection by itself, resuming with a Range request", async () => {
    const dest = join(dir, "retried.bin");
    ranges.length = 0;
    const r = await download({ url: `${base}/drop`, dest, sha256: sha(payload) });
    expect(ranges).toEqual([undefined, "bytes=100000-"]);
    expect(r.resumedFrom).toBe(100_000);
    expect(sha(await readFile(dest))).toBe(sha(payload));
  });

  it("gives up on a stalled connection after stallMs, keeping the bytes for a later resume", async () => {
    const dest = join(dir, "stalled.bin");
    const err = await download({ url: `${base}/stall`, dest, sha256: null, stallMs: 300, retries: 0 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(
      /stall\b.*interrupted after 1000 bytes|interrupted after 1000 bytes.*no data for 0.3 s/,
    );
    expect((await readFile(`${dest}.part`)).length).toBe(1_000);
  });

  it("starts over when the server ignores Range", async () => {
    const dest = join(dir, "norange.bin");
    await writeFile(`${dest}.part`, Buffer.from("stale bytes"));
    const r = await download({ url: `${base}/norange`, dest, sha256: sha(payload) });
    expect(r.resumedFrom).toBe(0);
    expect(sha(await readFile(dest))).toBe(sha(payload)); // not toEqual: deep-equal over 300k bytes takes seconds
  });

  it("refuses a checksum mismatch, removes the partial file, names both hashes", async () => {
    const dest = join(dir, "bad.bin");
    const wrong = "0".repeat(64);
    const err = await download({ url: `${base}/c.bin`, dest, sha256: wrong }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(`expected sha256 ${wrong} but got ${sha(payload)}`);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it("reports HTTP errors and unreachable hosts as DataErrors", async () => {
    await expect(download({ url: `${base}/missing`, dest: join(dir, "m"), sha256: null })).rejects.toThrow(/HTTP 404/);
    await expect(download({ url: "http://127.0.0.1:1/x", dest: join(dir, "n"), sha256: null })).rejects.toThrow(
      DataError,
    );
  });

  it("reads a #sha256= fragment", () => {
    const hex = "a".repeat(64);
    expect(parseChecksumUrl(`https://x/y.zip#sha256=${hex}`)).toEqual({ url: "https://x/y.zip", sha256: hex });
    expect(parseChecksumUrl("https://x/y.zip")).toEqual({ url: "https://x/y.zip", sha256: null });
  });
});

describe("fetchDataset kimia960", () => {
  it("without a URL prints the manual steps naming the destination", async () => {
    const out = await fetchDataset("kimia960", { to: join(dir, "none") });
    expect(out.status).toBe("manual");
    if (out.status === "manual") expect(out.instructions).toContain(join(dir, "none"));
  });

  it("with --url downloads, checks, unpacks and counts the images", async () => {
    const to = join(dir, "kimia");
    const out = await fetchDataset("kimia960", { to, url: `${base}/kimia.tar.gz#sha256=${sha(archive)}` });
    expect(out).toMatchObject({ status: "downloaded", images: 3, expected: 960 });
    expect(existsSync(join(to, "Kimia/B1.tif"))).toBe(true);
    expect(existsSync(join(to, ".download"))).toBe(false);
    expect(await fetchDataset("kimia960", { to })).toMatchObject({ status: "present", images: 3 });
  });

  it("refuses an unknown data set", async () => {
    await expect(fetchDataset("imagenet")).rejects.toThrow(/unknown data set 'imagenet'; known: kimia960/);
  });
});
