import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_FILES, RUN_ID_PATTERN, type RunMeta } from "@tessera/shared";
import { createRun, reopenRun } from "./writer";
import { readRun } from "@tessera/shared/runstore";
import { batchBody, epochBody, fakeSource, tempRunsDir } from "./test-helpers";

describe("createRun", () => {
  it("makes the run folder with config.yaml, meta.json and an events file", async () => {
    const runsDir = tempRunsDir();
    const run = await createRun({ runsDir, loaded: fakeSource("my exp/1") });
    expect(run.id).toMatch(/^\d{8}-\d{6}-my-exp-1-[0-9a-f]{4}$/);
    expect(run.id).toMatch(RUN_ID_PATTERN);
    expect(run.dir).toBe(join(runsDir, run.id));
    expect(readFileSync(join(run.dir, RUN_FILES.config), "utf8")).toBe("name: my exp/1\nseed: 7\n");
    const meta = JSON.parse(readFileSync(join(run.dir, RUN_FILES.meta), "utf8")) as RunMeta;
    expect(meta).toMatchObject({ format: 1, id: run.id, name: "my exp/1", config_hash: "sha256:abc", seed: 7 });
    expect(meta).toMatchObject({ status: "running", ended: null, attempt: 1, backend: null });
    expect(meta.versions["@tensorflow/tfjs-core"]).toBe("4.22.0");
    expect(meta.versions.node).toBe(process.versions.node);
    expect(meta.git_commit === null || /^[0-9a-f]{40}$/.test(meta.git_commit)).toBe(true);
    expect(existsSync(join(run.dir, RUN_FILES.lock))).toBe(true);
    run.finish("finished");
  });

  it("appends one line per event with format, seq from 0, time and attempt", async () => {
    const run = await createRun({ runsDir: tempRunsDir(), loaded: fakeSource() });
    const a = run.append(batchBody("head", 0, 1));
    const b = run.append({ ...epochBody("head", 0, 0.5), fold: 2 });
    expect([a.seq, b.seq]).toEqual([0, 1]);
    expect(run.lastSeq).toBe(1);
    const lines = readFileSync(join(run.dir, RUN_FILES.events), "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    const first = JSON.parse(lines[0]!);
    expect(Object.keys(first).slice(0, 5)).toEqual(["format", "seq", "time", "type", "attempt"]);
    expect(first).toMatchObject({ format: 1, seq: 0, type: "batch", attempt: 1, step: 1 });
    expect(Number.isNaN(Date.parse(first.time))).toBe(false);
    expect(JSON.parse(lines[1]!)).toMatchObject({ seq: 1, type: "epoch", fold: 2, valid_accuracy: 0.5 });
    run.finish("finished");
    expect(() => run.append(batchBody("head", 0, 2))).toThrow(/finished/);
  });

  it("updates meta and writes the summary atomically, and finish releases the lock", async () => {
    const run = await createRun({ runsDir: tempRunsDir(), loaded: fakeSource() });
    run.updateMeta({ data_hash: "d1", backend: { name: "cpu", version: "4.22.0", threads: null, device: null } });
    run.writeSummary({
      format: 1,
      classes: ["a", "b"],
      best: null,
      final: { valid_accuracy: 1, valid_loss: 0, train_loss: 0 },
      tta_accuracy: null,
      per_class: [],
      confusion: [],
      most_confused: [],
      folds: null,
      folds_mean: null,
      folds_std: null,
      seconds: 3,
    });
    run.finish("finished");
    run.finish("failed"); // idempotent: the first status stays
    const record = await readRun(run.dir);
    expect(record.meta).toMatchObject({ data_hash: "d1", status: "finished", backend: { name: "cpu" } });
    expect(record.meta.ended).not.toBeNull();
    expect(record.summary?.seconds).toBe(3);
    expect(existsSync(join(run.dir, RUN_FILES.lock))).toBe(false);
  });

  it("refuses a second writer while the first holds the lock", async () => {
    const run = await createRun({ runsDir: tempRunsDir(), loaded: fakeSource() });
    await expect(reopenRun(run.dir)).rejects.toThrow(/already open for writing/);
    run.finish("interrupted");
  });

  it("refuses a lock held by another live process, takes over one from a dead pid", async () => {
    const run = await createRun({ runsDir: tempRunsDir(), loaded: fakeSource() });
    run.append(batchBody("head", 0, 1));
    run.finish("interrupted");
    const host = JSON.parse(readFileSync(join(run.dir, RUN_FILES.meta), "utf8")).host as string;
    const lockFile = join(run.dir, RUN_FILES.lock);
    writeFileSync(lockFile, JSON.stringify({ pid: process.ppid, host, since: "then" }));
    await expect(reopenRun(run.dir)).rejects.toThrow(new RegExp(`being written by pid ${process.ppid}`));

    const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    const deadPid = Number(child.stdout.toString());
    writeFileSync(lockFile, JSON.stringify({ pid: deadPid, host, since: "then" }));
    const warnings: string[] = [];
    const { writer } = await reopenRun(run.dir, { warn: (m) => warnings.push(m) });
    expect(warnings.join("\n")).toMatch(new RegExp(`stale lock .*pid ${deadPid} is gone`));
    expect(JSON.parse(readFileSync(lockFile, "utf8")).pid).toBe(process.pid);
    writer.finish("finished");
  });
});

describe("reopenRun", () => {
  it("repairs a torn last line, continues seq and counts the attempt", async () => {
    const run = await createRun({ runsDir: tempRunsDir(), loaded: fakeSource() });
    run.append(batchBody("head", 0, 1));
    run.append(batchBody("head", 0, 2));
    run.finish("failed"); // as if killed: reopen must set it running again
    const eventsFile = join(run.dir, RUN_FILES.events);
    writeFileSync(eventsFile, readFileSync(eventsFile, "utf8") + '{"format":1,"seq":2,"ti');
    const warnings: string[] = [];
    const { writer, events } = await reopenRun(run.dir, { warn: (m) => warnings.push(m) });
    expect(warnings.join("\n")).toMatch(/removed a half-written last line \(23 bytes\)/);
    expect(events.map((e) => e.seq)).toEqual([0, 1]);
    expect(writer.attempt).toBe(2);
    expect(writer.meta).toMatchObject({ attempt: 2, status: "running", ended: null });
    const e = writer.append({ type: "run_resumed", from: { stage: "head", epoch: 0, step: 0 }, superseded_after_seq: -1 });
    expect(e).toMatchObject({ seq: 2, attempt: 2 });
    writer.finish("finished");
    const lines = readFileSync(eventsFile, "utf8").trimEnd().split("\n");
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([0, 1, 2]);
  });
});
