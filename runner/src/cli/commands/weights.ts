/** `tessera weights fetch <backbone>` and `tessera weights ls [--json]`. */
import { BACKBONES, type BackboneName } from "@tessera/shared";
import { UsageError } from "../../errors";
import { listWeights } from "../../model/catalog";
import { ensureImagenet } from "../../model/fetch";

/** Fetches (or finds in the cache) a backbone's ImageNet weights; prints the folder. */
export async function weightsFetchCommand(backbone: string, _opts: Record<string, unknown> = {}): Promise<void> {
  if (!(BACKBONES as readonly string[]).includes(backbone)) {
    throw new UsageError(`weights fetch: unknown backbone "${backbone}", expected one of ${BACKBONES.join(", ")}`);
  }
  const dir = await ensureImagenet(backbone as BackboneName);
  process.stderr.write(`${backbone} ImageNet weights: ${dir}\n`);
}

/** Lists the weight sources and the cache; `--json` prints `{ weights: [...] }` on stdout. */
export async function weightsLsCommand(opts: { json?: boolean } = {}): Promise<void> {
  const rows = await listWeights();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ weights: rows }, null, 2)}\n`);
    return;
  }
  const lines = rows.map((r) => {
    const size = r.bytes === null ? "" : ` (${(r.bytes / 1e6).toFixed(1)} MB)`;
    const state = r.cached ? `cached${size}` : r.kind === "none" ? "no ImageNet source" : "not cached";
    const where = r.cached ? r.dir : (r.source ?? "");
    return `${r.name.padEnd(10)} ${r.kind.padEnd(9)} ${state.padEnd(22)} ${where}`;
  });
  process.stderr.write(`${lines.join("\n")}\n`);
}
