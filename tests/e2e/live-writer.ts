/**
 * A stand-in training process for the browser test when the real engine cannot run: appends a
 * synthetic run's events to `<runs-dir>/<id>` over time, from its own process, exactly as the
 * runner would. `tsx tests/e2e/live-writer.ts <runs-dir> <id> <classes> <delay-ms>`
 */
import { FixtureRun } from "./fixture-run";
import { writeSyntheticRun } from "./synthetic";

const [root, id, classCount, delay] = process.argv.slice(2);
if (!root || !id) throw new Error("usage: live-writer.ts <runs-dir> <id> [classes] [delay-ms]");
const classes = "ABCDEFGHIJKLMNOPQRST".split("").slice(0, Number(classCount ?? 3));
const run = new FixtureRun(root, id, { name: "e2e-live", started: new Date().toISOString() });
await writeSyntheticRun(run, {
  classes,
  stages: [
    { name: "head", epochs: 2, steps: 4, lrFind: true },
    { name: "all", epochs: 6, steps: 4 },
  ],
  delayMs: Number(delay ?? 150),
});
