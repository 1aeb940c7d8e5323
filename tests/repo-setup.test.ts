/**
 * The repository's own setup files do not make the tools complain: `npx` (npm) warned on every
 * command about pnpm's `reporter` key in .npmrc; pnpm reads it from pnpm-workspace.yaml instead.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "./helpers/paths";

describe("repository config", () => {
  it("npm reads .npmrc without a warning", () => {
    // Without the npm_config_* variables pnpm sets for its children (npm warns about those too).
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^npm_config_/i.test(k)),
    ) as NodeJS.ProcessEnv;
    const res = spawnSync("npm", ["config", "get", "engine-strict"], { cwd: REPO_ROOT, encoding: "utf8", env });
    expect(res.status).toBe(0);
    expect(res.stderr).not.toMatch(/npm warn/i);
  });

  it("pnpm runs the CLI without its '> tessera@ ...' banner, so --json output is plain JSON", () => {
    const res = spawnSync("pnpm", ["tessera", "ls", "--json", "--runs-dir", REPO_ROOT + "/no-such-runs-dir"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(res.stdout).not.toMatch(/^> /m);
    expect(() => JSON.parse(res.stdout) as unknown).not.toThrow();
  });
});
