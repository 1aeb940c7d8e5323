/**
 * `tessera diff <a> <b>`: maps flags onto `diffSides` and prints the result. The diff is the
 * command's product (like `git diff`), so every format goes to stdout; `--fail-if` tripping
 * exits 1 after printing.
 */
import pc from "picocolors";
import { ExitError, UsageError } from "../../errors";
import { runsDirFrom } from "../../runs";
import { diffSides } from "../../report/sides";
import { renderDiffMarkdown, renderDiffText } from "../../report/render-diff";

export interface DiffCommandOptions {
  format?: string;
  failIf?: string;
  runsDir?: string;
}

export async function diffCommand(a: string, b: string, opts: DiffCommandOptions): Promise<void> {
  const format = opts.format ?? "text";
  if (!["text", "md", "json"].includes(format))
    throw new UsageError(`tessera diff: unknown --format "${format}" (text, md, json)`);
  const result = await diffSides(a, b, { runsDir: runsDirFrom(opts.runsDir), failIf: opts.failIf });
  const text =
    format === "json"
      ? `${JSON.stringify(result, null, 2)}\n`
      : format === "md"
        ? renderDiffMarkdown(result)
        : renderDiffText(result, Boolean(process.stdout.isTTY) && pc.isColorSupported);
  process.stdout.write(text);
  if (result.fail_if?.tripped) {
    throw new ExitError(`tessera diff: --fail-if '${result.fail_if.expression}' tripped`, 1);
  }
}
