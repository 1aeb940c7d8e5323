import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { awaitRecord, handshakeEnv, readChildPid, recordChild } from "./handshake";

const pidFileIn = () => join(mkdtempSync(join(tmpdir(), "tessera-handshake-")), "trial-0.log.pid");

describe("the sweep/trial start handshake", () => {
  it("a run no sweep started does not wait", async () => {
    expect(await awaitRecord({})).toBe("standalone");
  });

  it("a child waits until the sweep records its own pid and token", async () => {
    const file = pidFileIn();
    const made = handshakeEnv(file);
    const { token } = made;
    // handshakeEnv names this process as the parent; here the test plays the child, whose parent is ours.
    const env = { ...made.env, TESSERA_SWEEP_PARENT: String(process.ppid) };
    // A record of another child of the same trial (an earlier attempt, or the same pid reused) is not ours.
    writeFileSync(file, `${process.pid} not-${token}\n`);
    let settled: string | null = null;
    const waiting = awaitRecord(env, 5).then((r) => (settled = r));
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBeNull();
    recordChild(file, process.pid, token);
    expect(await waiting).toBe("recorded");
    expect(readChildPid(file)).toBe(process.pid);
  });

  it("a child whose sweep is gone before recording it is orphaned, not started", async () => {
    const file = pidFileIn();
    const { env } = handshakeEnv(file);
    // This process's parent is not the pid the env names: as after the sweep died and the child was reparented.
    expect(await awaitRecord({ ...env, TESSERA_SWEEP_PARENT: String(process.ppid + 1_000_000) }, 5)).toBe("orphaned");
  });

  it("reads the pid of either record format", () => {
    const file = pidFileIn();
    writeFileSync(file, "4242\n");
    expect(readChildPid(file)).toBe(4242);
    writeFileSync(file, "garbage");
    expect(readChildPid(file)).toBeNull();
  });
});
