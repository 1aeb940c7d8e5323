/** `tessera export <run> --out dir [--format tfjs|tfjs-graph|onnx|web]`: a self-describing model folder. */
import { ExitError } from "../../errors";
import { resolveRunRef, runsDirFrom } from "../../runs";
import { exportRun, type ExportFormat } from "../../inference/export";
import { checkpointLabel } from "../../inference/predict";

export interface ExportCommandOptions {
  out: string;
  runsDir?: string;
  format?: ExportFormat;
  checkpoint?: "best" | "last";
  opset?: string;
  batch?: string;
  bakePreprocessing?: boolean;
}

function integer(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ExitError(`${flag} ${value}: expected an integer >= ${min}`);
  return n;
}

/** Writes the export and says where. */
export async function exportCommand(ref: string, opts: ExportCommandOptions): Promise<void> {
  const dir = resolveRunRef(ref, runsDirFrom(opts.runsDir));
  const format = opts.format ?? "tfjs";
  if (format !== "onnx" && (opts.bakePreprocessing || (opts.batch ?? "dynamic") !== "dynamic"))
    throw new ExitError(`--bake-preprocessing and --batch apply to --format onnx only`);
  const opset = integer("--opset", opts.opset ?? "17", 1);
  if (opset < 13 || opset > 21) throw new ExitError(`--opset ${opset}: expected an integer from 13 to 21`);
  const { out, files, checkpoint } = await exportRun(dir, opts.out, {
    format,
    checkpoint: opts.checkpoint ?? "best",
    opset,
    batch: (opts.batch ?? "dynamic") === "dynamic" ? "dynamic" : integer("--batch", opts.batch!, 1),
    bakePreprocessing: opts.bakePreprocessing ?? false,
  });
  process.stderr.write(
    `exported ${dir} (${format}, ${checkpointLabel(checkpoint)})\n  to ${out}: ${files.join(", ")}\n`,
  );
}
