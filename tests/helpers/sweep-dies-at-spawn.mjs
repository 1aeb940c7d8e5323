/**
 * Fault injection for `e2e-sweep-orphan.test.ts`: runs the `tessera` CLI in this process, but this
 * process SIGKILLs itself the moment the sweep records a trial child's pid (`trial-<n>.log.pid`):
 * the child has been spawned, its pid is not on disk yet. That is the window in which a dying
 * sweep once left a trial process no record named. Before dying it notes the child's pid in the
 * file env `TESSERA_TEST_ORPHAN_NOTE` names, so the test can watch that process.
 */
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

const note = process.env.TESSERA_TEST_ORPHAN_NOTE;
const write = fs.writeFileSync;
fs.writeFileSync = (file, data, ...rest) => {
  if (/trial-\d+\.log\.pid$/.test(String(file))) {
    const pid = /\d+/.exec(String(data))?.[0] ?? "";
    if (note) write(note, `${pid}\n`);
    process.kill(process.pid, "SIGKILL");
  }
  return write(file, data, ...rest);
};
// ESM named imports of builtins (`import { writeFileSync } from "node:fs"`) see the patch only after this.
syncBuiltinESMExports();
await import("../../runner/bin/tessera.js");
