/**
 * Ctrl-C for a training run: the first SIGINT/SIGTERM/SIGHUP (a closed terminal or ssh session) asks the loop to stop after the current
 * batch (it then writes a resume point and `run_interrupted` and exits 130); a second one ends the
 * process at once (the signal's default action; shells report 130). Ending at once corrupts nothing: events are whole lines written synchronously,
 * and checkpoints and resume points are swapped in by rename, so the folder stays resumable.
 */
import { ExitError } from "../errors";
import type { TrainHooks } from "./loop/hooks";
import type { ResumePointWriter } from "./resume/plan";
import type { Emit } from "./loop/callbacks";

/** Thrown out of the loop after an interrupt was recorded; exit code 130 like a shell's Ctrl-C. */
export class InterruptedError extends ExitError {
  constructor(
    message: string,
    readonly stage: string,
    readonly epoch: number,
    readonly step: number,
  ) {
    super(message, 130);
    this.name = "InterruptedError";
  }
}

/** A pending interrupt request; `dispose()` removes the signal handlers. */
export interface Interrupt {
  requested(): boolean;
  /** Ask for a stop without a signal (tests, the programmatic API). */
  request(): void;
  dispose(): void;
}

/** The signals that stop a run at a batch boundary; SIGHUP's default (exit at once) left a stale lock. */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * Installs the SIGINT/SIGTERM/SIGHUP handlers. The first signal sets the request and removes them again,
 * so a second signal meets the default action and ends the process at once — even while the loop
 * is busy computing and no JS handler could run (a handler would wait for the next batch).
 */
export function installInterrupt(opts: { say?: (text: string) => void } = {}): Interrupt {
  const say = opts.say ?? ((text: string) => process.stderr.write(`${text}\n`));
  let requested = false;
  const dispose = () => {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  };
  function onSignal(signal: NodeJS.Signals) {
    requested = true;
    dispose();
    say(
      `\n${signal}: stopping after this batch to save a resume point ` +
        `(${signal === "SIGINT" ? "Ctrl-C" : signal} again quits at once; the run stays resumable)`,
    );
  }
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  return {
    requested: () => requested,
    request: () => {
      requested = true;
    },
    dispose,
  };
}

/**
 * The hook that acts on a request after a batch: writes the resume point, appends
 * `run_interrupted`, and throws InterruptedError (the run folder is then finished `interrupted`).
 * Install it last, so every other hook has seen the batch.
 */
export function interruptHook(interrupt: Interrupt, resume: ResumePointWriter, emit: Emit, runId: string): TrainHooks {
  return {
    async onBatchEnd(l) {
      // The loop is synchronous compute between microtask awaits: yield one event-loop turn so a
      // pending SIGINT/SIGTERM handler gets to run now rather than at the next file I/O.
      await new Promise((resolve) => setImmediate(resolve));
      if (!interrupt.requested()) return;
      await resume.saveNow();
      emit({
        type: "run_interrupted",
        stage: l.stage,
        epoch: l.epoch,
        step: l.step,
        ...(l.fold === null ? {} : { fold: l.fold }),
      });
      throw new InterruptedError(
        `interrupted in stage '${l.stage}' epoch ${l.epoch} step ${l.step}; continue with: tessera run --resume ${runId}`,
        l.stage,
        l.epoch,
        l.step,
      );
    },
  };
}
