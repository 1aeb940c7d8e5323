/**
 * Access control of the dashboard server (token on every request, loopback-only without one)
 * and configs.validate reusing the runner's `tessera validate`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admit, isLoopback } from "../../dashboard/serve/auth";
import { DashboardOptionsError, startDashboard } from "../../dashboard/serve";
import { handleTrpc } from "../../dashboard/src/server/http";
import { REPO_ROOT } from "../helpers/paths";

function serve(token: string | null): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (admit(req, res, token)) res.end("ok");
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () =>
      ok({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

describe("access", () => {
  let open: { server: Server; url: string };
  let locked: { server: Server; url: string };
  beforeAll(async () => {
    open = await serve(null);
    locked = await serve("s3cret-token");
  });
  afterAll(() => {
    open.server.close();
    locked.server.close();
  });

  it("knows loopback hosts", () => {
    for (const h of ["127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"]) expect(isLoopback(h)).toBe(true);
    for (const h of ["0.0.0.0", "192.168.1.2", "example.com", "127.0.0.1.evil.com"]) expect(isLoopback(h)).toBe(false);
  });

  it("without a token, answers only requests addressed to a loopback name (DNS rebinding)", async () => {
    expect((await fetch(open.url)).status).toBe(200);
    // fetch() will not send a foreign Host header; node:http will, as a rebinding browser would
    const status = await new Promise<number>((ok, fail) =>
      request(open.url, { headers: { host: "evil.example.com" } }, (res) => ok(res.statusCode ?? 0))
        .on("error", fail)
        .end(),
    );
    expect(status).toBe(403);
  });

  it("with a token, refuses requests without it or with a wrong one, on every path", async () => {
    for (const path of ["/", "/api/trpc/runs.list", "/_next/static/x.js", "/api/runs/x/files/a.png"]) {
      expect((await fetch(locked.url + path)).status).toBe(401);
      expect((await fetch(locked.url + path, { headers: { authorization: "Bearer wrong-token" } })).status).toBe(401);
    }
  });

  it("accepts the bearer header and the cookie, and swaps ?token= for the cookie", async () => {
    expect((await fetch(locked.url, { headers: { authorization: "Bearer s3cret-token" } })).status).toBe(200);
    const swap = await fetch(`${locked.url}/runs/x?token=s3cret-token&a=1`, { redirect: "manual" });
    expect(swap.status).toBe(303);
    expect(swap.headers.get("location")).toBe("/runs/x?a=1");
    const cookie = swap.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/);
    expect((await fetch(locked.url, { headers: { cookie: cookie.split(";")[0]! } })).status).toBe(200);
  });

  it("refuses to start on a non-loopback host without a token, before building anything", async () => {
    const saved = process.env.TESSERA_TOKEN;
    delete process.env.TESSERA_TOKEN;
    try {
      await expect(startDashboard({ host: "0.0.0.0", port: 0 })).rejects.toThrow(DashboardOptionsError);
      await expect(startDashboard({ host: "0.0.0.0", port: 0 })).rejects.toThrow(/--token/);
    } finally {
      if (saved !== undefined) process.env.TESSERA_TOKEN = saved;
    }
  });
});

describe("configs.validate", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tessera-configs-"));
    mkdirSync(join(dir, "sub"));
    writeFileSync(join(dir, "sub", "bad.yaml"), "name: x\ntrain:\n  stagez: 1\n");
    process.env.TESSERA_CONFIGS_DIR = dir;
    process.env.TESSERA_REPO_ROOT = REPO_ROOT;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const call = async (path: string, input: unknown) => {
    const res = await handleTrpc(
      new Request(`http://localhost/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`),
    );
    return { status: res.status, body: (await res.json()) as { result?: { data: unknown } } };
  };

  it("lists YAML files and reports the runner's problems with line numbers", async () => {
    expect((await call("configs.list", undefined)).body.result?.data).toMatchObject({ files: ["sub/bad.yaml"] });
    const { body } = await call("configs.validate", { name: "sub/bad.yaml" });
    const result = body.result?.data as { ok: boolean; problems: string[] };
    expect(result.ok).toBe(false);
    expect(result.problems.join("\n")).toMatch(/bad\.yaml:3:3 {2}train\.stagez: unknown key/);
  });

  it("refuses names outside the configs folder", async () => {
    expect((await call("configs.validate", { name: "../../etc/x.yaml" })).status).toBe(400);
  });
});
