import { createHash } from "node:crypto";
import { fork, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RUN_FILES } from "@tessera/shared";
import { acquireRunLock } from "./lock";
import { tempRunsDir } from "./test-helpers";

const CONTENDERS = 8;
const ROUNDS = 8;

interface Answer {
  dir: string;
  won: boolean;
  message?: string;
}

function startContender(): Promise<ChildProcess> {
  const child = fork(join(import.meta.dirname, "lock-contender.ts"), [], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`contender exited early with ${code}`)));
  });
}

function answer(child: ChildProcess, dir: string): Promise<Answer> {
  return new Promise((resolve) => {
    const onMessage = (message: Answer) => {
      if (message.dir !== dir) return;
      child.off("message", onMessage);
      resolve(message);
    };
    child.on("message", onMessage);
  });
}

/** A run folder whose lock names a pid that has exited, so every contender judges it stale. */
function staleRunDir(root: string, round: number): string {
  const dir = join(root, `run-${round}`);
  mkdirSync(dir);
  const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;
  writeFileSync(join(dir, RUN_FILES.lock), JSON.stringify({ pid: deadPid, host: hostname(), since: "then" }));
  return dir;
}

describe("run lock takeover", () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill();
  });

  it(
    `gives a stale lock to exactly one of ${CONTENDERS} processes, ${ROUNDS} rounds in a row`,
    { timeout: 120_000 },
    async () => {
      children.push(...(await Promise.all(Array.from({ length: CONTENDERS }, startContender))));
      const root = tempRunsDir();
      for (let round = 0; round < ROUNDS; round++) {
        const dir = staleRunDir(root, round);
        const at = Date.now() + 300;
        const answers = Promise.all(children.map((child) => answer(child, dir)));
        for (const child of children) child.send({ dir, at });
        const results = await answers;
        const winners = results.filter((r) => r.won);
        expect(winners, `round ${round}: ${JSON.stringify(results)}`).toHaveLength(1);
        for (const loser of results.filter((r) => !r.won)) expect(loser.message).toMatch(/being written by pid \d+/);
        const lock = JSON.parse(readFileSync(join(dir, RUN_FILES.lock), "utf8")) as { pid: number };
        const winner = children[results.findIndex((r) => r.won)];
        expect(lock.pid).toBe(winner?.pid);
        // No claim or temp file is left beside the lock.
        expect(readdirSync(dir)).toEqual([RUN_FILES.lock]);
      }
    },
  );

  it("is not jammed by a takeover claim whose process died mid-takeover", () => {
    const dir = staleRunDir(tempRunsDir(), 0);
    const stale = readFileSync(join(dir, RUN_FILES.lock), "utf8");
    const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;
    const digest = createHash("sha256").update(stale).digest("hex").slice(0, 16);
    writeFileSync(join(dir, `${RUN_FILES.lock}.takeover-${digest}`), JSON.stringify({ pid: deadPid, host: hostname() }));
    const lock = acquireRunLock(dir, () => {});
    expect(JSON.parse(readFileSync(lock.file, "utf8")).pid).toBe(process.pid);
    expect(readdirSync(dir)).toEqual([RUN_FILES.lock]);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("release removes only its own lock", () => {
    const dir = staleRunDir(tempRunsDir(), 0);
    const lock = acquireRunLock(dir, () => {});
    const theirs = JSON.stringify({ pid: process.ppid, host: hostname(), since: "later" });
    writeFileSync(lock.file, theirs);
    lock.release();
    expect(readFileSync(lock.file, "utf8")).toBe(theirs);
  });
});
