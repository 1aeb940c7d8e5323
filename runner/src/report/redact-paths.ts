/**
 * A report is made to be shared (a PR comment, a wiki page): the resolved config it embeds held
 * absolute machine paths (`data.path: /home/alice/work/tessera/data/tiles`), telling readers the
 * user's name and folder layout. Paths under the working directory are written relative to it,
 * other paths under the home folder start with `~`.
 */
import { homedir } from "node:os";
import { sep } from "node:path";

/** Where paths are made relative to, and what counts as home (tests pass their own). */
export interface PathBases {
  cwd: string;
  home: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Rewrites absolute paths in `text`: `<cwd>/x` -> `x`, `<cwd>` alone -> `.`, `<home>/x` -> `~/x`.
 * Only whole path prefixes match (`/home/al` does not touch `/home/alice`).
 */
export function redactPaths(text: string, bases: PathBases = { cwd: process.cwd(), home: homedir() }): string {
  let out = text;
  const end = `(?=[${escape(sep)}\\s"'\`)<>,\\]}]|$)`;
  for (const [base, replacement] of [
    [bases.cwd, "."],
    [bases.home, "~"],
  ] as const) {
    // The root or an empty base would rewrite every path.
    if (!base || base === sep) continue;
    out = out
      .replace(
        new RegExp(`${escape(base)}${escape(sep)}(?=\\S)`, "g"),
        replacement === "." ? "" : `${replacement}${sep}`,
      )
      .replace(new RegExp(`${escape(base)}${end}`, "gm"), replacement);
  }
  return out;
}
