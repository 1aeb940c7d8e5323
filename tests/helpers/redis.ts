/**
 * A real redis-server for the queue tests (no mocks of Redis or BullMQ): started on a free loopback
 * port in a temp dir with `--appendonly yes`, the persistence docs/cluster.md asks for, so a
 * restart keeps every job. Redis cannot pick its own port (`--port 0` turns TCP off), so we ask the
 * kernel for a free one and retry if another process takes it first.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestRedis {
  /** `redis://127.0.0.1:<port>/0` (or with the password when one was asked for). */
  url: string;
  port: number;
  dir: string;
  /** Stops the server (SIGTERM: it writes its append-only file first) and waits for its exit. */
  stop(): Promise<void>;
  /** Stops and starts it again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stops it and removes its data dir. */
  dispose(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

function launch(port: number, dir: string, password: string | null): Promise<ChildProcess> {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes"];
  args.push("--save", "", "--daemonize", "no", "--protected-mode", "yes");
  if (password) args.push("--requirepass", password);
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`redis-server did not start on port ${port}: ${out.slice(-500)}`));
    }, 15_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("Ready to accept connections")) {
        clearTimeout(timer);
        ok(child);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`redis-server exited with ${code} on port ${port}: ${out.slice(-500)}`));
    });
  });
}

function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    child.once("exit", () => ok());
    child.kill("SIGTERM");
  });
}

/** Starts a redis-server for one test file; call `dispose()` in afterAll. */
export async function startRedis(opts: { password?: string } = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), "tessera-redis-"));
  const password = opts.password ?? null;
  let child: ChildProcess | null = null;
  let port = 0;
  for (let attempt = 0; child === null; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, password);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  const auth = password ? `:${encodeURIComponent(password)}@` : "";
  return {
    url: `redis://${auth}127.0.0.1:${port}/0`,
    port,
    dir,
    stop: async () => {
      await stopChild(child);
      child = null;
    },
    restart: async () => {
      await stopChild(child);
      child = await launch(port, dir, password);
    },
    dispose: async () => {
      await stopChild(child);
      child = null;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
