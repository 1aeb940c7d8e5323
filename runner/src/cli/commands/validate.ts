/**
 * `tessera validate <configs...> [--json] [--check-data]`: every problem of every file, with
 * file:line:col; exit 1 if any file is invalid. Human text on stderr, `--json` on stdout.
 */
import { ExitError } from "../../errors";
import { checkConfig, formatProblem, type Problem } from "../../config";
import { countData, type DataCount } from "../../config/data-count";
import { displayName } from "../../config/source";

/** The flags of `tessera validate`. */
export interface ValidateOptions {
  json?: boolean;
  checkData?: boolean;
}

/** One file's verdict, as `--json` prints it. */
export interface FileReport {
  file: string;
  valid: boolean;
  configHash: string | null;
  errors: Problem[];
  warnings: Problem[];
  data: DataCount | null;
}

/** Checks every file; returns the reports (the command prints them and sets the exit code). */
export async function validateFiles(files: string[], opts: ValidateOptions = {}): Promise<FileReport[]> {
  const reports: FileReport[] = [];
  for (const file of files) {
    const result = await checkConfig(file, { checkData: opts.checkData });
    if (!result.ok) {
      reports.push({
        file,
        valid: false,
        configHash: null,
        errors: result.errors,
        warnings: result.warnings,
        data: null,
      });
      continue;
    }
    const report: FileReport = {
      file,
      valid: true,
      configHash: result.loaded.configHash,
      errors: [],
      warnings: result.warnings,
      data: null,
    };
    if (opts.checkData) {
      try {
        report.data = await countData(result.loaded.config.data, result.loaded.config.seed);
        const file = displayName(result.loaded.file);
        for (const message of report.data.warnings) {
          report.warnings.push({ file, path: "data", message, source: "data", severity: "warning" });
        }
      } catch (error) {
        if (!(error instanceof ExitError)) throw error;
        const message = error.message.replace(/^data(\.[a-z_.]+)?: /, "");
        report.valid = false;
        report.errors.push({
          file: displayName(result.loaded.file),
          path: "data",
          message,
          source: "data",
          severity: "error",
        });
      }
    }
    reports.push(report);
  }
  return reports;
}

/** Prints every file's problems and verdict; exits 1 (ExitError) if any file is invalid. */
export async function validateCommand(files: string[], opts: ValidateOptions): Promise<void> {
  const reports = await validateFiles(files, opts);
  const ok = reports.every((r) => r.valid);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ valid: ok, files: reports }, null, 2)}\n`);
  } else {
    for (const r of reports) {
      for (const p of [...r.errors, ...r.warnings]) process.stderr.write(`${formatProblem(p)}\n`);
      const data = r.data ? `, ${r.data.images} images in ${r.data.classes.length} classes` : "";
      process.stderr.write(
        r.valid
          ? `ok ${r.file}  (config_hash ${r.configHash!.slice(0, 12)}${data})\n`
          : `invalid ${r.file}  (${r.errors.length} problem${r.errors.length === 1 ? "" : "s"})\n`,
      );
    }
  }
  if (!ok) throw new ExitError("", 1);
}
