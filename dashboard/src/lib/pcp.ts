/**
 * The Sweep page's parallel coordinates as chartjs-chart-pcp wants them: one axis (a dataset) per
 * parameter plus one for the objective, and one line (a label) per scored trial. An axis is
 * logarithmic when its values are positive and span more than a decade (a learning rate), and
 * categorical values (strings, lists) sit at their index among the sorted distinct values, with
 * the values themselves as tick labels. Pure, so it is tested without a browser.
 */
import type { TrialRow } from "@tessera/shared";

export interface PcpAxis {
  label: string;
  /** One value per line, in the order of `labels`. */
  data: number[];
  log: boolean;
  /** Tick labels of a categorical axis (index -> value as written), else null. */
  categories: string[] | null;
}

/** Axes and line labels for the scored trials (those with an objective). */
export function pcpAxes(trials: TrialRow[], params: string[], metric: string): { labels: string[]; axes: PcpAxis[] } {
  const scored = trials.filter((t) => t.objective !== null);
  const axes = [
    ...params.map((p) =>
      axisOf(
        p,
        scored.map((t) => t.params[p]),
      ),
    ),
    axisOf(
      metric,
      scored.map((t) => t.objective),
    ),
  ];
  return { labels: scored.map((t) => `trial ${t.trial}`), axes };
}

function axisOf(label: string, values: unknown[]): PcpAxis {
  const nums = values.filter((v): v is number => typeof v === "number");
  if (nums.length === values.length) {
    const log = nums.length > 0 && Math.min(...nums) > 0 && Math.max(...nums) / Math.min(...nums) > 10;
    return { label, data: nums, log, categories: null };
  }
  const categories = [...new Set(values.map((v) => JSON.stringify(v)))].sort();
  return { label, data: values.map((v) => categories.indexOf(JSON.stringify(v))), log: false, categories };
}
