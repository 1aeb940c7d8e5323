/**
 * The server's ingest rules on its request handlers (the same functions the Next routes call),
 * without a build: claims, idempotent appends by (run, seq), gaps refused with the server's
 * lastSeq, writes by a worker that does not hold the claim, path-escaping and non-layout file
 * names, a body whose sha256 is not the header's, and a checkpoint folder swapped in whole.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleTrpc } from "../../dashboard/src/server/http";
import { getRunFile, putRunFile } from "../../dashboard/src/server/ingest/files";
import { principalHeaderValue, type Principal } from "../../dashboard/src/server/ingest/principal";
import { onRunChanged } from "../../dashboard/src/server/cluster/run-changes";

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "tessera-ingest-h-"));
  process.env.TESSERA_RUNS_DIR = join(root, "runs");
  mkdirSync(join(root, "runs"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const asWorker = (worker: string): Principal => ({ kind: "worker", worker });
const auth = (p: Principal | null): Record<string, string> =>
  p ? { "x-tessera-principal": principalHeaderValue(p) } : {};

async function call(p: Principal | null, name: string, input: unknown) {
  const res = await handleTrpc(
    new Request(`http://localhost/api/trpc/ingest.${name}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth(p) },
      body: JSON.stringify(input),
    }),
  );
  const body = (await res.json()) as {
    result?: { data: unknown };
    error?: { message: string; data: { code: string; lastSeq?: number } };
  };
  return { status: res.status, data: body.result?.data as Record<string, unknown>, error: body.error };
}

const line = (seq: number, extra = "") =>
  JSON.stringify({
    format: 1,
    seq,
    time: "2026-01-01T00:00:00.000Z",
    type: "batch",
    attempt: 1,
    step: seq,
    note: extra,
  });
const events = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ seq: from + i, line: line(from + i, "é\u2028x") }));

function put(
  p: Principal | null,
  id: string,
  path: string,
  body: string,
  opts: { sha?: string; upload?: string } = {},
) {
  const sha = opts.sha ?? createHash("sha256").update(body).digest("hex");
  const url = `http://localhost/api/ingest/runs/${id}/files/${path}${opts.upload ? `?upload=${opts.upload}` : ""}`;
  const req = new Request(url, { method: "PUT", headers: { "x-tessera-sha256": sha, ...auth(p) }, body });
  return putRunFile(req, id, path.split("/"));
}

describe("ingest handlers", () => {
  const id = "20260101-000000-ingest-0001";
  const dir = () => join(root, "runs", id);

  it("claims a new run, appends idempotently by seq, refuses a gap with the server's lastSeq", async () => {
    const changed: string[] = [];
    const off = onRunChanged((r) => changed.push(r));
    const claim = await call(asWorker("w1"), "claim", { runId: id, jobId: null, attempt: 1, worker: "w1" });
    expect(claim.data).toEqual({ lastSeq: -1, files: [{ path: "events.jsonl", sha256: expect.any(String), size: 0 }] });

    expect((await call(asWorker("w1"), "events", { runId: id, events: events(0, 4) })).data).toEqual({ lastSeq: 4 });
    // a retried batch overlapping what the server has: nothing doubled
    expect((await call(asWorker("w1"), "events", { runId: id, events: events(2, 6) })).data).toEqual({ lastSeq: 6 });
    const gap = await call(asWorker("w1"), "events", { runId: id, events: events(9, 10) });
    expect(gap.status).toBe(409);
    expect(gap.error?.data.lastSeq).toBe(6);
    const file = readFileSync(join(dir(), "events.jsonl"), "utf8");
    expect(file).toBe(
      events(0, 6)
        .map((e) => `${e.line}\n`)
        .join(""),
    );
    expect(changed.filter((r) => r === id).length).toBeGreaterThanOrEqual(3);
    off();
  });

  it("refuses a line whose seq is not the one it was sent with, and a non-JSON line", async () => {
    const wrong = await call(asWorker("w1"), "events", { runId: id, events: [{ seq: 7, line: line(8) }] });
    expect(wrong.status).toBe(400);
    expect(wrong.error?.message).toMatch(/seq 7: the line says seq 8/);
    const junk = await call(asWorker("w1"), "events", { runId: id, events: [{ seq: 7, line: "{not json" }] });
    expect(junk.status).toBe(400);
  });

  it("refuses events, files and claims from a worker that does not hold the run", async () => {
    const events7 = await call(asWorker("w2"), "events", { runId: id, events: events(7, 7) });
    expect(events7.status).toBe(403);
    expect(events7.error?.message).toMatch(/claimed by worker w1/);
    expect((await put(asWorker("w2"), id, "summary.json", "{}")).status).toBe(403);
    // without a queue, another worker cannot take a claimed run over
    const steal = await call(asWorker("w2"), "claim", { runId: id, jobId: null, attempt: 2, worker: "w2" });
    expect(steal.status).toBe(403);
    // a run nobody claimed
    const other = await call(asWorker("w1"), "events", { runId: "20260101-000000-other-0002", events: events(0, 0) });
    expect(other.status).toBe(403);
    expect(other.error?.message).toMatch(/not claimed/);
  });

  it("refuses calls the access check did not vouch for (no principal, a forged one)", async () => {
    expect((await call(null, "events", { runId: id, events: events(7, 7) })).status).toBe(401);
    const forged = await handleTrpc(
      new Request("http://localhost/api/trpc/ingest.events", {
        method: "POST",
        headers: { "content-type": "application/json", "x-tessera-principal": "guess:worker:w1" },
        body: JSON.stringify({ runId: id, events: events(7, 7) }),
      }),
    );
    expect(forged.status).toBe(401);
  });

  it("refuses a run folder written locally on the server", async () => {
    const local = join(root, "runs", "20260101-000000-local-0003");
    mkdirSync(local);
    writeFileSync(join(local, "meta.json"), "{}");
    const r = await call(asWorker("w1"), "claim", {
      runId: "20260101-000000-local-0003",
      jobId: null,
      attempt: 1,
      worker: "w1",
    });
    expect(r.status).toBe(403);
    expect(r.error?.message).toMatch(/not ingested/);
  });

  it("refuses path-escaping and off-layout file names before touching the disk", async () => {
    for (const path of [
      "../escape.json",
      "checkpoints/../../x.json",
      "events.jsonl",
      ".lock",
      "notes.txt",
      "checkpoints/best/../../../meta.json",
    ]) {
      const res = await put(asWorker("w1"), id, path, "{}");
      expect(res.status, path).toBe(400);
    }
    // an encoded `..` arrives decoded in the route's params: still refused
    const res = await putRunFile(
      new Request(`http://localhost/x`, {
        method: "PUT",
        headers: { "x-tessera-sha256": "0".repeat(64), ...auth(asWorker("w1")) },
        body: "x",
      }),
      id,
      ["%2e%2e", "meta.json"],
    );
    expect(res.status).toBe(400);
    expect(existsSync(join(root, "runs", "escape.json"))).toBe(false);
    expect(existsSync(join(root, "meta.json"))).toBe(false);
  });

  it("stores a file only when its body matches the sha256 header, and serves it back", async () => {
    const bad = await put(asWorker("w1"), id, "summary.json", '{"a":1}', { sha: "0".repeat(64) });
    expect(bad.status).toBe(400);
    expect(existsSync(join(dir(), "summary.json"))).toBe(false);
    const wrongMeta = await put(asWorker("w1"), id, "meta.json", JSON.stringify({ format: 1, id: "someone-else" }));
    expect(wrongMeta.status).toBe(400);
    expect((await put(asWorker("w1"), id, "summary.json", '{"a":1}')).status).toBe(200);
    expect(readFileSync(join(dir(), "summary.json"), "utf8")).toBe('{"a":1}');
    const got = await getRunFile(new Request(`http://localhost/x`, { headers: auth(asWorker("w1")) }), id, [
      "summary.json",
    ]);
    expect(await got.text()).toBe('{"a":1}');
    const stranger = await getRunFile(new Request(`http://localhost/x`, { headers: auth(asWorker("w2")) }), id, [
      "summary.json",
    ]);
    expect(stranger.status).toBe(403);
  });

  it("cuts off a body over the size limit, announced or not, and keeps no part of it", async () => {
    process.env.TESSERA_INGEST_MAX_BYTES = "1000";
    try {
      const big = "x".repeat(5000);
      expect((await put(asWorker("w1"), id, "report.md", big)).status).toBe(413);
      // streamed without a length: the meter stops it
      const chunks = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < 5; i++) c.enqueue(new TextEncoder().encode(big));
          c.close();
        },
      });
      const req = new Request(`http://localhost/x`, {
        method: "PUT",
        headers: { "x-tessera-sha256": "0".repeat(64), ...auth(asWorker("w1")) },
        body: chunks,
        duplex: "half",
      } as RequestInit);
      expect((await putRunFile(req, id, ["report.md"])).status).toBe(413);
      expect(existsSync(join(dir(), "report.md"))).toBe(false);
      expect(readdirSync(dir()).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    } finally {
      delete process.env.TESSERA_INGEST_MAX_BYTES;
    }
  });

  it("swaps a checkpoint folder in whole, only once every staged file checks out", async () => {
    expect((await put(asWorker("w1"), id, "checkpoints/best/model.json", "{}")).status).toBe(400); // not staged
    const upload = "upload-0001";
    expect((await put(asWorker("w1"), id, "checkpoints/best/model.json", '{"m":1}', { upload })).status).toBe(200);
    const sha = (s: string) => createHash("sha256").update(s).digest("hex");
    const files = [
      { path: "checkpoints/best/model.json", sha256: sha('{"m":1}'), size: 7 },
      { path: "checkpoints/best/weights.bin", sha256: sha("WW"), size: 2 },
    ];
    // weights.bin not staged yet: the commit is refused and nothing appears
    expect(
      (await call(asWorker("w1"), "commitFolder", { runId: id, upload, folder: "checkpoints/best", files })).status,
    ).toBe(409);
    expect(existsSync(join(dir(), "checkpoints/best"))).toBe(false);
    expect((await put(asWorker("w1"), id, "checkpoints/best/weights.bin", "WW", { upload })).status).toBe(200);
    const ok = await call(asWorker("w1"), "commitFolder", { runId: id, upload, folder: "checkpoints/best", files });
    expect(ok.data).toEqual({ files: 2 });
    expect(readFileSync(join(dir(), "checkpoints/best/weights.bin"), "utf8")).toBe("WW");
    const claim = await call(asWorker("w1"), "claim", { runId: id, jobId: null, attempt: 1, worker: "w1" });
    expect((claim.data.files as { path: string }[]).map((f) => f.path)).toEqual([
      "checkpoints/best/model.json",
      "checkpoints/best/weights.bin",
      "events.jsonl",
      "summary.json",
    ]);
    expect(claim.data.lastSeq).toBe(6);
  });
});
