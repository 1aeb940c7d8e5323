/** `tessera export <run> --out dir`: a self-describing model folder (tfjs model + classes + preprocessing). */
import { resolveRunRef, runsDirFrom } from "../../runs";
import { exportRun } from "../../inference/export";
import { checkpointLabel } from "../../inference/predict";

export interface ExportCommandOptions {
  out: string;
  runsDir?: string;
}

/** Writes the export and says where. */
export async function exportCommand(ref: string, opts: ExportCommandOptions): Promise<void> {
  const dir = resolveRunRef(ref, runsDirFrom(opts.runsDir));
  const { out, files, checkpoint } = await exportRun(dir, opts.out);
  process.stderr.write(`exported ${dir} (${checkpointLabel(checkpoint)})\n  to ${out}: ${files.join(", ")}\n`);
}
