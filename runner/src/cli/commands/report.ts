/**
 * `tessera report <run> [--vs <run>] [--out dir] [--format md|html]`: maps flags onto
 * `writeReport`. The default output folder is the run folder itself (report.md, charts/).
 */
import { UsageError } from "../../errors";
import { resolveRunRef, runsDirFrom } from "../../runs";
import { writeReport } from "../../report/report";
import { loadRunSide } from "../../report/run-side";
import { writeSweepReport } from "../../sweep/report";
import { sweepDir, sweepsDirFrom } from "../../sweep/store";

/** A sweep id or folder (sweeps are reported by `writeSweepReport`), else null. */
function findSweep(ref: string, sweepsDir: string): string | null {
  try {
    return sweepDir(sweepsDir, ref);
  } catch {
    return null;
  }
}

export interface ReportCommandOptions {
  vs?: string;
  out?: string;
  format?: string;
  runsDir?: string;
  sweepsDir?: string;
}

export async function reportCommand(ref: string, opts: ReportCommandOptions): Promise<void> {
  const format = opts.format ?? "md";
  if (format !== "md" && format !== "html")
    throw new UsageError(`tessera report: unknown --format "${format}" (md, html)`);
  const sweep = findSweep(ref, sweepsDirFrom(opts.sweepsDir));
  if (sweep) {
    const written = await writeSweepReport(sweep, opts.out ?? sweep);
    process.stderr.write(`wrote ${written.file} and ${written.charts.length} charts\n`);
    process.stdout.write(`${written.file}\n`);
    return;
  }
  const runsDir = runsDirFrom(opts.runsDir);
  const dir = resolveRunRef(ref, runsDir);
  const run = await loadRunSide(dir, ref);
  const baseline = opts.vs === undefined ? null : await loadRunSide(resolveRunRef(opts.vs, runsDir), opts.vs);
  const written = writeReport({ run, baseline, outDir: opts.out ?? dir, format });
  process.stderr.write(`wrote ${written.file}${written.charts.length ? ` and ${written.charts.length} charts` : ""}\n`);
  process.stdout.write(`${written.file}\n`);
}
