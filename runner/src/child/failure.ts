/**
 * How a child `tessera run` failed, told to its parent: the process's exit code says only "1", and
 * a queue worker must tell a failure that retrying cannot fix (an invalid config, bad data, out of
 * memory — fail the job once) from one that another attempt may get past. The parent names a file
 * in `TESSERA_FAILURE_FILE`; the CLI's top-level handler writes the error's class and message there.
 */
import { writeFileSync } from "node:fs";

export const FAILURE_FILE_ENV = "TESSERA_FAILURE_FILE";

/** What the child wrote: the error's class name (ConfigError, DataError, ...) and message. */
export interface ChildFailure {
  name: string;
  message: string;
}

/** Called by the CLI's top-level handler; does nothing unless a parent asked for it. */
export function recordFailure(error: unknown): void {
  const file = process.env[FAILURE_FILE_ENV];
  if (!file) return;
  const failure: ChildFailure = {
    name: (error as Error)?.name ?? "Error",
    message: (error as Error)?.message ?? String(error),
  };
  try {
    writeFileSync(file, JSON.stringify(failure));
  } catch {
    // The parent falls back to the run's run_failed event and the log's last lines.
  }
}

/** Messages of out-of-memory failures (Node's heap, the wasm heap, tfjs' own check, the OS). */
const OUT_OF_MEMORY =
  /out of memory|heap out of memory|Array buffer allocation failed|WebAssembly\.Memory|Cannot allocate memory|ENOMEM|more than the wasm backend.s .* heap/i;

/**
 * Why a failure is final (retrying elsewhere would fail the same way), or null when it may be
 * worth another attempt. `name` is the child's error class when it recorded one.
 */
export function finalFailure(failure: ChildFailure | null, error: string): string | null {
  const name = failure?.name ?? "";
  const text = `${failure?.message ?? ""}\n${error}`;
  if (OUT_OF_MEMORY.test(text)) return "out of memory";
  if (name === "ConfigError") return "invalid config";
  if (name === "DataError") return "invalid data";
  if (name === "UsageError") return "invalid job (usage)";
  return null;
}
