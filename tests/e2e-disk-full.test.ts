/**
 * A disk that fills up mid-run, injected at the file-system seam (no tmpfs mount needed): the run
 * must end with one clear message, `run_failed`, `meta.json` saying `failed` (the atomic write
 * needs a new file, which a full disk refuses: the status stayed `running` with a stack trace)
 * and the lock released; its temp folders are removed when the run is next opened, and the run
 * resumes once there is space again.
 */
import { existsSync, mkdirSync as realMkdir, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as NodeFs from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { RUN_FILES, type RunEvent, type RunMeta } from "@tessera/shared";

type FS = typeof NodeFs;
const disk = vi.hoisted(() => ({ full: false, refused: 0 }));

vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<FS>();
  const enospc = (syscall: string, path: unknown) => {
    disk.refused++;
    return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall} '${String(path)}'`), {
      code: "ENOSPC",
      errno: -28,
      syscall,
      path: String(path),
    });
  };
  // A full disk refuses new files and folders; writes into blocks a file already has still land.
  const openSync = ((...args: Parameters<FS["openSync"]>) => {
    const flags = args[1];
    if (disk.full && typeof flags === "string" && /[wa]/.test(flags)) throw enospc("open", args[0]);
    return fs.openSync(...args);
  }) as FS["openSync"];
  const mkdirSync = ((...args: Parameters<FS["mkdirSync"]>) => {
    if (disk.full) throw enospc("mkdir", args[0]);
    return fs.mkdirSync(...args);
  }) as FS["mkdirSync"];
  const writeFileSync = ((...args: Parameters<FS["writeFileSync"]>) => {
    if (disk.full) throw enospc("open", args[0]);
    return fs.writeFileSync(...args);
  }) as FS["writeFileSync"];
  const patched = { ...fs, openSync, mkdirSync, writeFileSync };
  return { ...patched, default: patched };
});

const CONFIG = `
name: full-disk
seed: 2
backend: wasm
data: { source: synthetic, classes: 2, per_class: 8, image_size: 32 }
model: { backbone: resnet18, width: 0.125 }
train:
  batch_size: 4
  stages:
    - { name: all, trainable: all, size: 32, epochs: 3, lr: 1e-3 }
`;

const readEvents = (runDir: string) =>
  readFileSync(join(runDir, RUN_FILES.events), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as RunEvent);

describe("a disk that fills up during a run", () => {
  it("fails with one message, status failed, lock released; the next start cleans temps and resumes", async () => {
    const { runExperiment } = await import("../runner/src/train");
    const { ExitError } = await import("../runner/src/errors");
    const dir = mkdtempSync(join(tmpdir(), "tessera-full-"));
    writeFileSync(join(dir, "c.yaml"), CONFIG);
    const runsDir = join(dir, "runs");
    let runDir = "";
    const run = runExperiment({
      configFile: join(dir, "c.yaml"),
      runsDir,
      cacheDir: false,
      onEvent: (e) => {
        if (e.type === "run_started") runDir = join(runsDir, e.run_id);
        if (e.type === "epoch" && e.epoch === 1) disk.full = true;
      },
    });
    const error = await run.catch((e: unknown) => e);
    disk.full = false;
    expect(disk.refused).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(ExitError);
    expect((error as Error).message).toMatch(
      /^tessera: the disk is full \(ENOSPC\) writing .*; the run stopped and is marked failed\. Free some space, then continue with: tessera run --resume /,
    );
    const meta = JSON.parse(readFileSync(join(runDir, RUN_FILES.meta), "utf8")) as RunMeta;
    expect(meta.status).toBe("failed");
    expect(existsSync(join(runDir, RUN_FILES.lock))).toBe(false);
    const last = readEvents(runDir).at(-1)!;
    expect(last).toMatchObject({ type: "run_failed", error: (error as Error).message });

    // What a kill or a full disk leaves half-written:
    const checkpoints = join(runDir, RUN_FILES.checkpoints);
    for (const leftover of ["resume.staging-4242", ".resume.staging-4242.tmp-4242", ".last.tmp-4242"])
      realMkdir(join(checkpoints, leftover), { recursive: true });
    writeFileSync(join(runDir, ".meta.json.4242.tmp"), "{");
    const resumed = await runExperiment({ resume: runDir, runsDir, cacheDir: false });
    expect(resumed.status).toBe("finished");
    expect(readdirSync(checkpoints).filter((n) => /staging|\.tmp/.test(n))).toEqual([]);
    expect(readdirSync(runDir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
