/**
 * A child process for the lock stress test (`lock.test.ts`): for each `{ dir, at }` message it
 * spins until the wall clock reaches `at` (so every contender calls at the same instant), tries
 * to take the run lock, and answers whether it got it. Locks won are held until the process exits,
 * as a real writer would hold them while training.
 */
import { acquireRunLock, type RunLock } from "./lock";
import { ExitError } from "../errors";

const held: RunLock[] = [];

process.on("message", (message: { dir: string; at: number } | "exit") => {
  if (message === "exit") process.exit(0);
  while (Date.now() < message.at) {
    // busy-wait: a timer would add milliseconds of jitter between contenders
  }
  try {
    held.push(acquireRunLock(message.dir, () => {}));
    process.send?.({ dir: message.dir, won: true });
  } catch (error) {
    // Anything but a refusal is reported as such, so the test fails at once instead of waiting.
    const refused = error instanceof ExitError;
    process.send?.({ dir: message.dir, won: false, message: refused ? error.message : String(error) });
  }
});
process.send?.("ready");
