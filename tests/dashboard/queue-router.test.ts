/**
 * The `queue` router behind the Launch and Queue pages, through the dashboard's own request
 * listener (admit() + tRPC, no Next build): without a launcher every procedure says the server has
 * no queue; bad input is refused before the launcher sees it; and with a token, a request to
 * enqueue or cancel that lacks it never reaches the launcher. The launcher here only records calls
 * — the real BullMQ one is exercised by tests/e2e/launch-page.test.ts.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { requestListener } from "../../dashboard/serve/listener";
import { handleTrpc } from "../../dashboard/src/server/http";
import { setLauncher, type Launcher, type LaunchRequest } from "../../dashboard/src/server/cluster/launcher";
import { NO_QUEUE_MESSAGE } from "../../dashboard/src/server/routers/queue";

/** Node request -> fetch Request -> tRPC -> Node response, as Next's route does. */
async function nodeHandle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = chunks.length ? Buffer.concat(chunks) : undefined;
  const response = await handleTrpc(
    new Request(`http://localhost${req.url}`, {
      method: req.method,
      headers: { "content-type": "application/json" },
      body,
    }),
  );
  res.writeHead(response.status, { "content-type": "application/json" }).end(await response.text());
}

function serve(token: string | null): Promise<{ server: Server; url: string }> {
  const server = createServer(requestListener(token, nodeHandle, () => undefined));
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () =>
      ok({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }),
    ),
  );
}

/** Records what reached it; answers like a queue that accepted everything. */
function recordingLauncher(calls: string[]): Launcher {
  return {
    plan: async (r: LaunchRequest) => (
      calls.push(`plan ${r.config} ${r.sets.join(",")}`),
      { ok: true, text: "plan", configHash: "h" }
    ),
    enqueue: async (r) => (
      calls.push(`enqueue ${r.config} ${r.priority ?? "-"}`),
      { ok: true, jobId: "1", runId: "r1" }
    ),
    list: async () => (calls.push("list"), []),
    cancel: async (id) => (calls.push(`cancel ${id}`), { ok: true, message: "cancelled" }),
    rerun: async (id) => (calls.push(`rerun ${id}`), { ok: true, message: "retried" }),
  };
}

const post = (url: string, path: string, input: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(input),
  });

describe("queue router", () => {
  let open: { server: Server; url: string };
  let locked: { server: Server; url: string };
  let configs: string;
  const calls: string[] = [];

  beforeAll(async () => {
    configs = mkdtempSync(join(tmpdir(), "tessera-queue-router-"));
    writeFileSync(join(configs, "demo.yaml"), "name: demo\n");
    process.env.TESSERA_CONFIGS_DIR = configs;
    open = await serve(null);
    locked = await serve("s3cret-token");
  });
  afterEach(() => {
    setLauncher(undefined);
    calls.length = 0;
  });
  afterAll(() => {
    open.server.close();
    locked.server.close();
    rmSync(configs, { recursive: true, force: true });
  });

  it("without a launcher, says how to start a server with a queue", async () => {
    const status = await fetch(`${open.url}/api/trpc/queue.status`);
    expect(await status.json()).toMatchObject({ result: { data: { enabled: false } } });
    for (const res of [
      await fetch(`${open.url}/api/trpc/queue.list`),
      await post(open.url, "queue.enqueue", { config: "demo.yaml", sets: [] }),
      await post(open.url, "queue.cancel", { jobId: "1" }),
    ]) {
      expect(res.status).toBe(412);
      expect(JSON.stringify(await res.json())).toContain(JSON.stringify(NO_QUEUE_MESSAGE).slice(1, -1));
    }
  });

  it("passes a launch request through, and refuses bad input before the launcher sees it", async () => {
    setLauncher(recordingLauncher(calls));
    const ok = await post(open.url, "queue.plan", { config: "demo.yaml", sets: ["train.batch_size=4"] });
    expect(ok.status).toBe(200);
    expect((await post(open.url, "queue.enqueue", { config: "demo.yaml", sets: [], priority: 3 })).status).toBe(200);
    expect(calls).toEqual(["plan demo.yaml train.batch_size=4", "enqueue demo.yaml 3"]);
    calls.length = 0;
    expect((await post(open.url, "queue.enqueue", { config: "../../etc/passwd", sets: [] })).status).toBe(400);
    const badSet = await post(open.url, "queue.plan", { config: "demo.yaml", sets: ["no equals sign"] });
    expect(badSet.status).toBe(400);
    expect(JSON.stringify(await badSet.json())).toContain("path=value");
    expect((await post(open.url, "queue.enqueue", { config: "demo.yaml", sets: [], priority: 1001 })).status).toBe(400);
    expect(calls).toEqual([]);
  });

  it("with a token, refuses enqueue/cancel/rerun without it and lets them through with it", async () => {
    setLauncher(recordingLauncher(calls));
    for (const [path, input] of [
      ["queue.enqueue", { config: "demo.yaml", sets: [] }],
      ["queue.cancel", { jobId: "7" }],
      ["queue.rerun", { jobId: "7" }],
    ] as const) {
      expect((await post(locked.url, path, input)).status).toBe(401);
      expect((await post(locked.url, path, input, { authorization: "Bearer wrong-token-x" })).status).toBe(401);
    }
    expect(calls).toEqual([]);
    const res = await post(locked.url, "queue.cancel", { jobId: "7" }, { authorization: "Bearer s3cret-token" });
    expect(res.status).toBe(200);
    expect(calls).toEqual(["cancel 7"]);
  });

  it("without a token, refuses a write addressed to a non-loopback host name", async () => {
    setLauncher(recordingLauncher(calls));
    const status = await new Promise<number>((ok, fail) => {
      const req = request(`${open.url}/api/trpc/queue.enqueue`, {
        method: "POST",
        headers: { host: "gpu-box.example.com:3000", "content-type": "application/json" },
      });
      req.on("response", (res) => ok(res.statusCode ?? 0)).on("error", fail);
      req.end(JSON.stringify({ config: "demo.yaml", sets: [] }));
    });
    expect(status).toBe(403);
    expect(calls).toEqual([]);
  });
});
