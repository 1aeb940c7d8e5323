/**
 * Folding a run's events into the epochs that count and a run's progress, the one way every reader
 * does it (`tessera ls`, `show`, `report`, `diff`, the dashboard's table, run page and compare).
 *
 * The rule: an event a resume superseded never counts. A `run_resumed` event names the last seq
 * the resumed attempt kept (`superseded_after_seq`); the epochs, stages and batches the abandoned
 * attempt wrote after it, up to the `run_resumed` itself, were trained from weights that no longer
 * exist, so a resumed run's best accuracy is the best of the epochs that led to its checkpoints.
 * If a (fold, stage, epoch) is still logged twice, the later line wins.
 */
import type { EventOf, RunEvent, RunStatus } from "./events";

/** One `epoch` event, as written; readers keep what they need with `Pick<EpochEvent, ...>`. */
export type EpochEvent = EventOf<"epoch">;

/** Events with `after < seq < until` belong to an attempt a resume abandoned. */
export type SupersededRange = readonly [after: number, until: number];

/** The superseded ranges the `run_resumed` events among `events` declare. */
export function supersededRanges(events: Iterable<RunEvent>): SupersededRange[] {
  const ranges: SupersededRange[] = [];
  for (const e of events) if (e.type === "run_resumed") ranges.push([e.superseded_after_seq, e.seq]);
  return ranges;
}

/** True when a resume superseded the event with this seq. */
export function isSuperseded(seq: number, ranges: readonly SupersededRange[]): boolean {
  return ranges.some(([after, until]) => seq > after && seq < until);
}

type EpochKey = Pick<EpochEvent, "seq" | "stage" | "epoch" | "fold">;

/** The epochs that count, in seq order: superseded ones dropped, the latest of any repeated (fold, stage, epoch). */
export function liveEpochs<E extends EpochKey>(epochs: readonly E[], ranges: readonly SupersededRange[]): E[] {
  const byKey = new Map<string, E>();
  for (const e of epochs) if (!isSuperseded(e.seq, ranges)) byKey.set(`${e.fold ?? ""}/${e.stage}/${e.epoch}`, e);
  return [...byKey.values()].sort((x, y) => x.seq - y.seq);
}

/** Every epoch of a run's events that counts (see the rule above). */
export function foldEpochs(events: readonly RunEvent[]): EpochEvent[] {
  const epochs = events.filter((e): e is EpochEvent => e.type === "epoch");
  return liveEpochs(epochs, supersededRanges(events));
}

/** The epoch with the highest validation accuracy (the first of equals), or null. */
export function bestEpoch<E extends Pick<EpochEvent, "valid_accuracy">>(epochs: readonly E[]): E | null {
  let best: E | null = null;
  for (const e of epochs) if (!best || e.valid_accuracy > best.valid_accuracy) best = e;
  return best;
}

/** The status a lifecycle event puts a run in, or null for the events that do not change it. */
export function statusAfter(e: RunEvent): RunStatus | null {
  switch (e.type) {
    case "run_started":
    case "run_resumed":
      return "running";
    case "run_finished":
      return "finished";
    case "run_failed":
      return "failed";
    case "run_interrupted":
      return "interrupted";
    default:
      return null;
  }
}

/** Where a run stands, folded from its events: what a runs table shows. */
export interface RunProgress {
  /** From the lifecycle events; null before `run_started`. meta.json may lag behind. */
  status: RunStatus | null;
  best_valid_accuracy: number | null;
  last_valid_accuracy: number | null;
  /** The latest stage that counts, its index and planned epochs, and its fold (k-fold runs). */
  stage: string | null;
  stage_index: number | null;
  stage_epochs: number | null;
  fold: number | null;
  /** The latest finished epoch in that stage. */
  epoch: number | null;
  epochs_done: number;
  last_seq: number;
  last_time: string | null;
}

type EpochPoint = Pick<EpochEvent, "seq" | "stage" | "epoch" | "fold" | "valid_accuracy">;
type StagePoint = Pick<EventOf<"stage_started">, "seq" | "stage" | "index" | "epochs" | "fold">;

/**
 * An incremental fold: `add` each event as it is read (a poller adds only the new ones), then
 * `progress()`. Keeps only the few fields of epoch and stage events, so 1,000 runs stay cheap.
 */
export class RunProgressFold {
  private epochs: EpochPoint[] = [];
  private stages: StagePoint[] = [];
  private ranges: SupersededRange[] = [];
  private status: RunStatus | null = null;
  private lastSeq = -1;
  private lastTime: string | null = null;

  add(e: RunEvent): void {
    this.lastSeq = Math.max(this.lastSeq, e.seq);
    this.lastTime = e.time;
    this.status = statusAfter(e) ?? this.status;
    switch (e.type) {
      case "epoch":
        this.epochs.push({
          seq: e.seq,
          stage: e.stage,
          epoch: e.epoch,
          fold: e.fold,
          valid_accuracy: e.valid_accuracy,
        });
        break;
      case "stage_started":
        this.stages.push({ seq: e.seq, stage: e.stage, index: e.index, epochs: e.epochs, fold: e.fold });
        break;
      case "run_resumed":
        this.ranges.push([e.superseded_after_seq, e.seq]);
        break;
      default:
        break;
    }
  }

  progress(): RunProgress {
    const epochs = liveEpochs(this.epochs, this.ranges);
    const stage = this.stages.findLast((s) => !isSuperseded(s.seq, this.ranges)) ?? null;
    const inStage = stage ? epochs.filter((p) => p.seq > stage.seq) : [];
    return {
      status: this.status,
      best_valid_accuracy: bestEpoch(epochs)?.valid_accuracy ?? null,
      last_valid_accuracy: epochs.at(-1)?.valid_accuracy ?? null,
      stage: stage?.stage ?? null,
      stage_index: stage?.index ?? null,
      stage_epochs: stage?.epochs ?? null,
      fold: stage?.fold ?? null,
      epoch: inStage.at(-1)?.epoch ?? null,
      epochs_done: epochs.length,
      last_seq: this.lastSeq,
      last_time: this.lastTime,
    };
  }
}
