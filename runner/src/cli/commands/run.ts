/** `tessera run <config> [--set k=v]... [--backend b] [--runs-dir d] [--json]`: train and write a run folder. */
import type { BackendName } from "@tessera/shared";
import { ExitError, UsageError } from "../../errors";
import { awaitRecord } from "../../child/handshake";
import { runExperiment } from "../../train";
import { installInterrupt } from "../../train/interrupt";
import { basename } from "node:path";
import { resolveRunRef, runsDirFrom } from "../../runs";
import { openBrowser, spawnDashboard } from "./dashboard";
import { progressHooks } from "./run-progress";

export interface RunCommandOptions {
  set?: string[];
  backend?: BackendName;
  threads?: number;
  verbose?: boolean;
  runsDir?: string;
  resume?: string;
  open?: boolean;
  json?: boolean;
  /** Set by `tessera sweep` for a trial (hidden flags). */
  runId?: string;
  sweep?: string;
  trial?: number;
  stopAtEpoch?: number;
}

/** Maps flags to `runExperiment`; progress on stderr, `--json` prints the summary on stdout. */
export async function runCommand(config: string | undefined, opts: RunCommandOptions = {}): Promise<void> {
  if (opts.resume && config) throw new UsageError("tessera run: give <config> or --resume <run>, not both");
  if (opts.resume && opts.set?.length)
    throw new UsageError("tessera run --resume: --set cannot change a run that already started");
  if (!config && !opts.resume) throw new UsageError("tessera run: missing <config> (a YAML experiment file)");
  // A child of a sweep or a queue worker writes nothing before its parent has recorded its pid: if the sweep died first,
  // no resumed sweep could know this process, so it must leave the trial's folder to that sweep.
  if ((await awaitRecord()) === "orphaned")
    throw new ExitError(
      "tessera run: the sweep or worker that started this run died before recording this process; " +
        "exiting without touching the run folder (a resumed sweep, or another worker, runs it)",
      130,
    );
  const progress = progressHooks();
  const dashboard: { started: Promise<{ url: string; stop(): void } | null> | null } = { started: null };
  const openRun = (runId: string) => {
    // A child process, so training does not stall the web server; started once the run id exists.
    dashboard.started = spawnDashboard({ runsDir: runsDirFrom(opts.runsDir), port: "0" })
      .then((d) => {
        const url = `${d.url}/runs/${encodeURIComponent(runId)}`;
        process.stderr.write(`dashboard: ${url}\n`);
        openBrowser(url);
        return d;
      })
      .catch((error: unknown) => {
        process.stderr.write(`tessera run --open: the dashboard did not start (${(error as Error).message})\n`);
        return null;
      });
  };
  // Ctrl-C: stop after this batch, save a resume point, exit 130; a second Ctrl-C exits at once.
  const interrupt = installInterrupt();
  // A trial started by `tessera sweep` has an IPC channel to it: when the sweep's process dies (even
  // by SIGKILL) the channel closes, and the trial stops at the next batch with a resume point
  // instead of running on unwatched; `tessera sweep --resume` continues it.
  const onOrphaned = () => {
    process.stderr.write("tessera run: the sweep that started this trial is gone; stopping after this batch\n");
    interrupt.request();
  };
  if (process.channel) {
    process.once("disconnect", onOrphaned);
    process.channel.unref();
  }
  // The sweep may have died while this process was still starting, before the handler existed (Node
  // drops NODE_CHANNEL_FD from the environment, so the local executor sets its own marker).
  if (process.env.TESSERA_SWEEP_IPC === "1" && !process.connected) onOrphaned();
  try {
    const result = await runExperiment({
      ...(config ? { configFile: config } : {}),
      ...(opts.resume ? { resume: opts.resume } : {}),
      interrupt,
      set: opts.set ?? [],
      ...(opts.backend ? { backend: opts.backend } : {}),
      ...(opts.threads ? { threads: opts.threads } : {}),
      ...(opts.verbose ? { verbose: true } : {}),
      ...(opts.runsDir ? { runsDir: opts.runsDir } : {}),
      ...(opts.runId ? { runId: opts.runId } : {}),
      ...(opts.sweep !== undefined && opts.trial !== undefined ? { sweep: { id: opts.sweep, trial: opts.trial } } : {}),
      ...(opts.stopAtEpoch !== undefined ? { stopAtEpoch: opts.stopAtEpoch } : {}),
      hooks: [progress],
      onSetup: (step) => progress.onSetup(step),
      onEvent: (e) => {
        progress.onRunEvent(e);
        if (!opts.open) return;
        if (e.type === "run_started") openRun(e.run_id);
        if (e.type === "run_resumed" && opts.resume)
          openRun(basename(resolveRunRef(opts.resume, runsDirFrom(opts.runsDir))));
      },
    });
    progress.close();
    const s = result.summary;
    const best = s.best
      ? `best ${s.best.monitor} ${s.best.value.toFixed(4)} (${s.best.stage} epoch ${s.best.epoch})`
      : "";
    process.stderr.write(
      `${result.status}: ${result.runDir}\n  valid_accuracy ${s.final.valid_accuracy.toFixed(4)}  ${best}` +
        `${s.tta_accuracy === null ? "" : `  tta ${s.tta_accuracy.toFixed(4)}`}  ${s.seconds.toFixed(1)} s\n`,
    );
    if (opts.json)
      process.stdout.write(
        `${JSON.stringify({ run_dir: result.runDir, id: result.runId, status: result.status, summary: s }, null, 2)}\n`,
      );
  } finally {
    progress.close();
    interrupt.dispose();
    process.off("disconnect", onOrphaned);
  }
  const served = await (dashboard.started ?? Promise.resolve(null));
  if (served) {
    process.stderr.write("the dashboard keeps serving this run; Ctrl-C to stop it\n");
    await new Promise<void>((done) => process.once("SIGINT", () => done()));
    served.stop();
  }
}
