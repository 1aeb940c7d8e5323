/**
 * `source: csv`: a table of image paths (relative to the CSV) and labels, with an optional split
 * column. Parsing is csv-parse's (quotes, embedded commas and newlines, BOM, CRLF); this module
 * checks what the table means and names the row of every problem.
 */
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { parse } from "csv-parse/sync";
import { closest } from "fastest-levenshtein";
import { DataError } from "../../errors";
import { IMAGE_EXTENSIONS, type Listing } from "./listing";
import { displayPath, toKey } from "./walk";

export interface CsvOptions {
  csv: string;
  columns: { file: string; label: string; split: string | null };
  predefined: boolean;
  onBadImage: "error" | "skip";
}

const SPLIT_VALUES: Record<string, "train" | "valid"> = {
  train: "train",
  training: "train",
  valid: "valid",
  val: "valid",
  validation: "valid",
};

/** Reads the CSV and lists its images with labels (and splits). Images are not read yet. */
export async function listCsv(opts: CsvOptions): Promise<Listing> {
  const where = displayPath(opts.csv);
  const text = await readFile(opts.csv, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new DataError(`${where}: cannot read the CSV (${e.code ?? e.message})`);
  });
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  } catch (error) {
    throw new DataError(`${where}: not a valid CSV: ${(error as Error).message}`);
  }
  if (rows.length === 0) throw new DataError(`${where}: the CSV has no rows`);
  const header = Object.keys(rows[0]!);
  const wanted: [string, string | null][] = [
    ["data.columns.file", opts.columns.file],
    ["data.columns.label", opts.columns.label],
    ["data.columns.split", opts.predefined ? (opts.columns.split ?? "split") : null],
  ];
  for (const [field, col] of wanted) {
    if (col !== null && !header.includes(col)) {
      throw new DataError(
        `${where}: ${field}: no column '${col}'; columns are ${header.map((h) => `'${h}'`).join(", ")} (did you mean '${closest(col, header)}'?)`,
      );
    }
  }
  const splitCol = wanted[2]![1];
  const base = dirname(opts.csv);
  const listing: Listing = { files: [], skipped: [], warnings: [] };
  if (!opts.predefined && opts.columns.split) {
    listing.warnings.push(
      `${where}: data.columns.split is set but data.split.protocol is not 'predefined'; the column is ignored`,
    );
  }
  const seen = new Map<string, number>();
  for (const [i, row] of rows.entries()) {
    const line = `${where} row ${i + 2}`; // 1-based, after the header line
    const rel = row[opts.columns.file] ?? "";
    const label = row[opts.columns.label] ?? "";
    const bad = (reason: string) => {
      if (opts.onBadImage === "error") throw new DataError(`${line}: ${reason}`);
      listing.skipped.push({ file: rel ? resolve(base, rel) : `${where}:${i + 2}`, reason: `${line}: ${reason}` });
    };
    if (!rel) {
      bad(`empty '${opts.columns.file}' cell`);
      continue;
    }
    if (!label) {
      bad(`'${rel}': empty '${opts.columns.label}' cell`);
      continue;
    }
    if (!IMAGE_EXTENSIONS.has(extname(rel).toLowerCase())) {
      bad(`'${rel}': not an image extension (expected .tif .tiff .png .jpg .jpeg .webp)`);
      continue;
    }
    const file = isAbsolute(rel) ? rel : resolve(base, rel);
    if (!(await stat(file).catch(() => null))?.isFile()) {
      bad(`'${rel}': file not found (${displayPath(file)})`);
      continue;
    }
    let split: "train" | "valid" | null = null;
    if (splitCol) {
      const value = (row[splitCol] ?? "").toLowerCase();
      split = SPLIT_VALUES[value] ?? null;
      if (!split) throw new DataError(`${line}: '${splitCol}' is '${row[splitCol]}', expected train or valid`);
    }
    const key = toKey(base, file);
    const first = seen.get(key);
    if (first !== undefined) {
      listing.warnings.push(`${line}: '${rel}' is listed again (first at row ${first}), the repeat is ignored`);
      continue;
    }
    seen.set(key, i + 2);
    listing.files.push({ key, file, label, split });
  }
  if (splitCol) checkSplitLabels(where, listing);
  return listing;
}

/** A label seen only in valid rows is unknown to the model trained on the train rows. */
function checkSplitLabels(where: string, listing: Listing): void {
  const trainLabels = new Set(listing.files.filter((f) => f.split === "train").map((f) => f.label));
  for (const f of listing.files) {
    if (f.split === "valid" && !trainLabels.has(f.label)) {
      throw new DataError(`${where}: unknown label '${f.label}' for '${f.key}' in valid rows: no train row has it`);
    }
  }
}
