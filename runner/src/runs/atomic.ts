/** Writes that a reader (or a crash) never sees half done: a temp file or folder, then rename. */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { fsyncDir } from "./durable";

/** Writes `text` to `file` atomically (same-folder temp file, fsync, rename). */
export function writeFileAtomic(file: string, text: string): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Writes `value` as pretty JSON (with a final newline) atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Fills a staging folder beside `target` with `fill`, then swaps it in: the old folder is renamed
 * aside, the staging one renamed to `target`, and the old one dropped (or kept as `keepPrevious`).
 * rename() cannot replace a non-empty folder, so this is as close to atomic as a folder gets: a
 * crash leaves either the old folder (possibly as `<name>.old-<pid>`, which readers may fall back
 * to) or the new one, never a half-written one. Every file is fsynced before the rename and the
 * folders after it, so a power cut cannot publish a name whose data never reached the disk.
 * Checkpoints and the resume point are both written this way.
 */
export async function replaceDirAtomic(
  target: string,
  fill: (staging: string) => Promise<void>,
  opts: { keepPrevious?: string } = {},
): Promise<void> {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = join(parent, `${basename(target)}.staging-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  await fill(staging);
  for (const name of readdirSync(staging)) fsyncPath(join(staging, name));
  fsyncDir(staging);
  const old = join(parent, `${basename(target)}.old-${process.pid}`);
  rmSync(old, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(staging, target);
  if (opts.keepPrevious) {
    rmSync(opts.keepPrevious, { recursive: true, force: true });
    if (existsSync(old)) renameSync(old, opts.keepPrevious);
  }
  fsyncDir(parent);
  rmSync(old, { recursive: true, force: true });
}

/** fsyncs one file already written (the tfjs IO handler writes through fs/promises without it). */
function fsyncPath(file: string): void {
  const fd = openSync(file, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
