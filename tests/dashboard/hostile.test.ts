/**
 * Hostile requests to the dashboard server: malformed escapes, an off-site redirect through the
 * token handshake, handlers that throw. Each must get an answer (never a hung socket) and never
 * leak the server's paths. The server is the real request listener on 127.0.0.1, port 0, with a
 * stand-in for Next so no build is needed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestListener, type NextHandle } from "../../dashboard/serve/listener";
import { handleTrpc, serveRunFile } from "../../dashboard/src/server/http";
import { REPO_ROOT } from "../helpers/paths";

const TOKEN = "s3cret-token";

function serve(token: string | null, handle: NextHandle, log: string[] = []): Promise<{ server: Server; url: string }> {
  const server = createServer(requestListener(token, handle, (line) => log.push(line)));
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () =>
      ok({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

/** A raw request (fetch would normalise the path): status and location, or a timeout error. */
function raw(
  url: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; location?: string }> {
  return new Promise((ok, fail) => {
    const req = request(`${url}${path.startsWith("/") ? "" : "/"}`, { path, headers, timeout: 5_000 }, (res) => {
      res.resume();
      ok({ status: res.statusCode ?? 0, location: res.headers.location });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer to ${path} within 5 s`)));
    req.on("error", fail);
    req.end();
  });
}

const ok: NextHandle = async (_req, res) => void res.end("ok");

describe("token mode under hostile input", () => {
  let locked: { server: Server; url: string };
  beforeAll(async () => {
    locked = await serve(TOKEN, ok);
  });
  afterAll(() => {
    locked.server.closeAllConnections();
    locked.server.close();
  });

  it("answers 401 to 50 requests with a malformed cookie escape, none left hanging", async () => {
    const cookies = ["tessera_token=%zz", "tessera_token=%", "a=1; tessera_token=%E0%A4%A"];
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => raw(locked.url, "/", { cookie: cookies[i % cookies.length]! })),
    );
    expect(statuses.map((s) => s.status)).toEqual(Array.from({ length: 50 }, () => 401));
  });

  it.each(["/.//evil.com/x", "//evil.com/x", "/\\evil.com/x", "/\\/evil.com/x", "/%2F/evil.com/x"])(
    "redirects the token handshake of %s only to a path on this origin",
    async (path) => {
      const { status, location } = await raw(locked.url, `${path}?token=${TOKEN}&a=1`);
      expect(status).toBe(303);
      expect(location).toMatch(/^\/(?![/\\])/);
      expect(new URL(location!, locked.url).origin).toBe(new URL(locked.url).origin);
      expect(location).toMatch(/\?a=1$/);
    },
  );
});

describe("a handler that throws", () => {
  const log: string[] = [];
  let servers: { server: Server; url: string }[] = [];
  beforeAll(async () => {
    servers = await Promise.all([
      serve(
        null,
        () => {
          throw new Error("sync boom");
        },
        log,
      ),
      serve(
        null,
        async () => {
          throw new Error("async boom");
        },
        log,
      ),
    ]);
  });
  afterAll(() => {
    for (const { server } of servers) {
      server.closeAllConnections();
      server.close();
    }
  });

  it("answers 500 instead of holding the socket", async () => {
    for (const { url } of servers) expect((await raw(url, "/")).status).toBe(500);
    expect(log).toEqual(["tessera dashboard: sync boom", "tessera dashboard: async boom"]);
  });
});

describe("API routes under hostile input", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tessera-hostile-"));
    process.env.TESSERA_CONFIGS_DIR = dir;
    process.env.TESSERA_RUNS_DIR = dir;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("answers 400 to a file path with a malformed % escape", async () => {
    const res = await serveRunFile("20260101-000000-x-abcd", ["top_losses", "%zz.png"]);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/malformed % escape/);
  });

  it("answers configs.get on a missing file with 404 and without the server's path", async () => {
    const input = encodeURIComponent(JSON.stringify({ name: "nope.yaml" }));
    const res = await handleTrpc(new Request(`http://localhost/api/trpc/configs.get?input=${input}`));
    const body = await res.text();
    expect(res.status).toBe(404);
    expect(body).toMatch(/no config file \\"nope.yaml\\"/);
    expect(body).not.toContain(dir);
  });

  it("configs.validate of a config extending /etc/passwd names the extends line and quotes nothing of it", async () => {
    process.env.TESSERA_REPO_ROOT = REPO_ROOT;
    writeFileSync(join(dir, "evil.yaml"), "name: evil\nextends: /etc/passwd\n");
    const input = encodeURIComponent(JSON.stringify({ name: "evil.yaml" }));
    const res = await handleTrpc(new Request(`http://localhost/api/trpc/configs.validate?input=${input}`));
    const result = ((await res.json()) as { result: { data: { ok: boolean; problems: string[] } } }).result.data;
    expect(result.ok).toBe(false);
    expect(result.problems.join("\n")).toMatch(/evil\.yaml:2:10 {2}extends: must name a \.yaml or \.yml file/);
    expect(result.problems.join("\n")).not.toMatch(/root:/);
  }, 60_000);

  it("configs.validate lets a config extend a base elsewhere in the configs folder", async () => {
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(
      join(dir, "base.yaml"),
      "data: { source: synthetic }\nmodel: { backbone: resnet18, width: 0.25 }\ntrain: { stages: [{ trainable: all, epochs: 1, size: 32, lr: 1e-3 }] }\n",
    );
    writeFileSync(join(dir, "sub", "child.yaml"), "name: child\nextends: ../base.yaml\n");
    const input = encodeURIComponent(JSON.stringify({ name: "sub/child.yaml" }));
    const res = await handleTrpc(new Request(`http://localhost/api/trpc/configs.validate?input=${input}`));
    const result = ((await res.json()) as { result: { data: { ok: boolean; problems: string[] } } }).result.data;
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
  }, 60_000);
});
