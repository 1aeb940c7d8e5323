/** `tessera eval <run> [--data <folder|config>] [--json]`: the best checkpoint on labelled images. */
import type { InferenceEngineName } from "@tessera/shared";
import { resolveRunRef, runsDirFrom } from "../../runs";
import { evalRun } from "../../inference/eval-run";
import { inferenceBackend } from "../../inference/predict";

export interface EvalCommandOptions {
  data?: string;
  runsDir?: string;
  json?: boolean;
  /** `--engine auto|tfjs|onnx` */
  engine?: InferenceEngineName;
}

/** Prints accuracy, per-class scores and the confusion matrix (stderr), or JSON on stdout. */
export async function evalCommand(ref: string, opts: EvalCommandOptions = {}): Promise<void> {
  const dir = resolveRunRef(ref, runsDirFrom(opts.runsDir));
  await inferenceBackend();
  const r = await evalRun(dir, opts.data, opts.engine ? { engine: opts.engine } : {});
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const w = Math.max(...r.classes.map((c) => c.length), 5);
  const lines = [
    `${r.run}`,
    `  checkpoint ${r.checkpoint}`,
    `  engine     ${r.engine}`,
    `  data       ${r.data}: ${r.images} images`,
    `  accuracy   ${(r.accuracy * 100).toFixed(2)}%   loss ${r.loss.toFixed(4)}`,
    "",
    `  ${"class".padEnd(w)}  precision  recall     f1  support`,
    ...r.per_class.map(
      (p) =>
        `  ${p.class.padEnd(w)}  ${p.precision.toFixed(3).padStart(9)}  ${p.recall.toFixed(3).padStart(6)}  ${p.f1.toFixed(3).padStart(5)}  ${String(p.support).padStart(7)}`,
    ),
    "",
    "  confusion (rows = true, cols = predicted):",
    ...r.confusion.map((row, i) => `  ${r.classes[i]!.padEnd(w)}  ${row.map((n) => String(n).padStart(4)).join("")}`),
  ];
  if (r.most_confused.length > 0) {
    lines.push(
      "",
      `  most confused: ${r.most_confused
        .slice(0, 5)
        .map((c) => `${c.actual} -> ${c.predicted} (${c.count})`)
        .join(", ")}`,
    );
  }
  process.stderr.write(`${lines.join("\n")}\n`);
}
