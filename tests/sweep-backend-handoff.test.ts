/**
 * A sweep resolves `backend: auto` once: the first trial probes and writes what it found into the
 * sweep folder, later trials are handed it and start it without probing (the probe costs seconds
 * per trial: native imports and a child process that opens Dawn's adapters). A standalone run
 * handed a backend in the environment uses it as given.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RUN_FILES, SWEEP_FILES, type RunMeta } from "@tessera/shared";
import { AUTO_BACKEND_ENV, AUTO_BACKEND_FILE_ENV } from "../runner/src/backend";
import { backendHandOff } from "../runner/src/sweep/local-executor";
import { REPO_ROOT } from "./helpers/paths";

const BIN = join(REPO_ROOT, "runner/bin/tessera.js");
const BASE = readFileSync(join(REPO_ROOT, "tests/fixtures/sweeps/tiny-grid.yaml"), "utf8")
  .replace("backend: wasm", "backend: auto")
  .replace(/train:[\s\S]*$/, "");
const TRAIN = `train:
  batch_size: 8
  stages:
    - { name: head, trainable: [head], train_bn: false, size: 32, epochs: 1, lr: 1e-2 }
`;
const meta = (dir: string) => JSON.parse(readFileSync(join(dir, RUN_FILES.meta), "utf8")) as RunMeta;
const PROBE_SKIPPED = "as the sweep resolved `auto` (no probe)";

describe("backend hand-off", () => {
  it("asks a child to record `auto`'s answer until one has, then hands that answer on", () => {
    const file = join(mkdtempSync(join(tmpdir(), "tessera-handoff-")), SWEEP_FILES.backend);
    expect(backendHandOff(file)).toEqual({ [AUTO_BACKEND_FILE_ENV]: file });
    writeFileSync(file, "not-a-backend\n");
    expect(backendHandOff(file)).toEqual({ [AUTO_BACKEND_FILE_ENV]: file });
    writeFileSync(file, "wasm\n");
    expect(backendHandOff(file)).toEqual({ [AUTO_BACKEND_ENV]: "wasm" });
  });

  it("a run handed a backend starts it without probing and records it", () => {
    const work = mkdtempSync(join(tmpdir(), "tessera-handoff-"));
    const config = join(work, "run.yaml");
    writeFileSync(config, BASE + TRAIN);
    // `auto` never picks cpu where wasm starts, so a cpu run proves the probe did not decide.
    const r = spawnSync(process.execPath, [BIN, "run", config, "--runs-dir", join(work, "runs")], {
      cwd: REPO_ROOT,
      env: { ...process.env, [AUTO_BACKEND_ENV]: "cpu" },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`backend cpu: ${PROBE_SKIPPED}`);
    expect(r.stderr).not.toMatch(/webgpu:/);
    const [id] = readdirSync(join(work, "runs"));
    expect(meta(join(work, "runs", id!)).backend?.name).toBe("cpu");
  }, 120_000);

  it("in a sweep, the first trial probes and the next one is handed its answer", () => {
    const work = mkdtempSync(join(tmpdir(), "tessera-handoff-"));
    const file = join(work, "sweep.yaml");
    writeFileSync(
      file,
      `${BASE}${TRAIN}sweep:\n  method: grid\n  parallel: 1\n  parameters:\n    train.stages[head].lr: { values: [1e-3, 1e-2] }\n`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env[AUTO_BACKEND_ENV];
    const r = spawnSync(
      process.execPath,
      [BIN, "sweep", file, "--runs-dir", join(work, "runs"), "--sweeps-dir", join(work, "sweeps")],
      { cwd: REPO_ROOT, env, encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    const [sweepId] = readdirSync(join(work, "sweeps"));
    const sweep = join(work, "sweeps", sweepId!);
    const resolved = readFileSync(join(sweep, SWEEP_FILES.backend), "utf8").trim();
    const logs = [0, 1].map((t) => readFileSync(join(sweep, SWEEP_FILES.logs, `trial-${t}.log`), "utf8"));
    expect(logs[0]).not.toContain(PROBE_SKIPPED);
    expect(logs[1]).toContain(`backend ${resolved}: ${PROBE_SKIPPED}`);
    expect(logs[1]).not.toMatch(/webgpu:/);
    const runs = readdirSync(join(work, "runs")).map((id) => meta(join(work, "runs", id)));
    expect(runs).toHaveLength(2);
    // Both trials ran on the same backend; `tensorflow-gpu` is recorded as `tensorflow` on a GPU.
    expect(new Set(runs.map((m) => m.backend?.name))).toEqual(new Set([resolved.replace(/-gpu$/, "")]));
  }, 180_000);
});
