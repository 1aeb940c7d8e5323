/**
 * The metrics a run reports per epoch, by the names configs use (`checkpoint.monitor`,
 * `early_stopping.monitor`, `sweep.metric`). Its own module so both the experiment schema and the
 * sweep schema it contains can import it without a cycle.
 */
import { Type } from "@sinclair/typebox";

export const MONITORS = ["valid.accuracy", "valid.loss", "train.loss"] as const;
export type Monitor = (typeof MONITORS)[number];
export const MonitorSchema = Type.Union(MONITORS.map((m) => Type.Literal(m)));

/** The `epoch` event field each monitor reads. */
export const MONITOR_FIELDS = {
  "valid.accuracy": "valid_accuracy",
  "valid.loss": "valid_loss",
  "train.loss": "train_loss",
} as const satisfies Record<Monitor, string>;
