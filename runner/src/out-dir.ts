/**
 * Creating an output folder a user named on the command line (`--out`): a path that is a file, or
 * one the user may not write, is a clear error naming the flag and the path, not a stack trace.
 */
import { mkdirSync, statSync } from "node:fs";
import { ExitError } from "./errors";

/** Creates `dir` (and its parents) unless it is already a folder; `flag` names the option in errors. */
export function ensureOutDir(dir: string, flag = "--out"): void {
  const kind = statKind(dir);
  if (kind === "folder") return;
  if (kind === "other") throw new ExitError(`${flag} ${dir}: is a file, not a folder`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const why =
      code === "ENOTDIR" || code === "EEXIST"
        ? "a parent of it is a file, not a folder"
        : code === "EACCES" || code === "EPERM" || code === "EROFS"
          ? "no permission to create it"
          : (error as Error).message;
    throw new ExitError(`${flag} ${dir}: cannot create the folder (${why})`);
  }
}

function statKind(path: string): "folder" | "other" | "missing" {
  try {
    return statSync(path).isDirectory() ? "folder" : "other";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "missing";
    // ENOTDIR: a parent is a file; mkdir will say so.
    if (code === "ENOTDIR") return "missing";
    throw new ExitError(`${path}: ${(error as Error).message}`);
  }
}
