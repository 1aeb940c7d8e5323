/**
 * Training-step throughput: images/s of one step (forward + backward + SGD update) of ResNet-18/50
 * at 64/128/224 px on each tfjs backend, with the peak memory, and (when `import torch` works) the
 * same model in PyTorch on the same thread count, run back to back so the ratio is fair on a
 * shared machine (img/cpu-s, images per CPU-second, is the steadier figure when other jobs compete
 * for the cores). Each measurement runs in its own process so memory peaks don't mix.
 *
 *   pnpm exec tsx bench/train-step.ts [--models resnet18,resnet50] [--sizes 64,128,224]
 *     [--backends wasm,cpu] [--batch 16] [--steps 3] [--threads 1] [--no-torch] [--profile]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureTfjs, type StepResult } from "./train-step-tfjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const { values: o } = parseArgs({
  options: {
    models: { type: "string", default: "resnet18,resnet50" },
    sizes: { type: "string", default: "64,128,224" },
    backends: { type: "string", default: "wasm,cpu" },
    batch: { type: "string", default: "16" },
    steps: { type: "string", default: "3" },
    threads: { type: "string", default: "1" },
    "no-torch": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    child: { type: "string" },
  },
});

if (o.child !== undefined) {
  // One measurement: model,size,backend,batch,steps,threads — prints one JSON line.
  const [model, size, backend, batch, steps, threads] = o.child.split(",");
  const r = await measureTfjs(model!, Number(size), backend!, Number(batch), Number(steps), Number(threads), o.profile);
  console.log(JSON.stringify(r));
  process.exit(0);
}

/** wasm32 stops at 4 GiB: the largest batch that fits (measured in the Compute II issue). */
function batchFor(model: string, size: number, asked: number, backend: string): number {
  if (backend === "cpu") return 2; // ~0.25 img/s: two images are already a long step.
  if (model === "resnet50" && size >= 224) return Math.min(asked, 4);
  if (model === "resnet50" && size >= 128) return Math.min(asked, 8);
  return asked;
}

function child(args: string[], cmd: string): StepResult | { error: string } {
  try {
    const out = execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
    const lines = out.trim().split("\n");
    if (o.profile) console.log(lines.slice(0, -1).join("\n"));
    return JSON.parse(lines.at(-1)!) as StepResult;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    const msg = (e.stderr ?? e.message)
      .trim()
      .split("\n")
      .filter((l) => /Error|Aborted|abort/.test(l))[0];
    return { error: (msg ?? e.message).slice(0, 80) };
  }
}

function findTorch(): string | null {
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      execFileSync(py, ["-c", "import torch"], { stdio: "ignore" });
      return py;
    } catch {
      // try the next interpreter
    }
  }
  return null;
}

const python = o["no-torch"] ? null : findTorch();
const threads = Number(o.threads);
const rows: string[][] = [];
const fmt = (n: number | undefined, d = 2) => (n === undefined ? "-" : n.toFixed(d));
const sizes = o.sizes.split(",").map(Number);
for (const model of o.models.split(",")) {
  for (const size of sizes) {
    for (const backend of o.backends.split(",")) {
      if (backend === "cpu" && size !== sizes[0]) continue;
      const batch = batchFor(model, size, Number(o.batch), backend);
      const spec = [model, size, backend, batch, backend === "cpu" ? 1 : o.steps, threads].join(",");
      const tsx = [fileURLToPath(import.meta.url), "--child", spec, ...(o.profile ? ["--profile"] : [])];
      const r = child(["--import", "tsx", ...tsx], process.execPath);
      const t =
        python && backend !== "cpu"
          ? child(
              [
                `${here}train_step_torch.py`,
                "--model",
                model,
                "--size",
                String(size),
                "--batch",
                String(batch),
                "--steps",
                o.steps,
                "--threads",
                String(threads),
              ],
              python,
            )
          : null;
      const ok = (x: unknown): x is StepResult => x !== null && typeof x === "object" && "images_per_s" in x;
      rows.push([
        model,
        String(size),
        backend,
        String(batch),
        ok(r) ? fmt(r.images_per_s) : `failed: ${(r as { error: string }).error}`,
        ok(r) ? fmt(r.images_per_cpu_s) : "-",
        ok(r) ? fmt(r.peak_rss_mb, 0) : "-",
        ok(r) && r.wasm_heap_mb !== undefined ? fmt(r.wasm_heap_mb, 0) : "-",
        ok(t) ? fmt(t.images_per_s) : t ? "failed" : "-",
        ok(t) ? fmt(t.images_per_cpu_s) : "-",
        ok(t) ? fmt(t.peak_rss_mb, 0) : "-",
        ok(r) && ok(t) ? fmt(r.images_per_s / t.images_per_s) : "-",
        ok(r) && ok(t) ? fmt(r.images_per_cpu_s / t.images_per_cpu_s) : "-",
      ]);
      console.error(rows.at(-1)!.join("  "));
    }
  }
}
const head = [
  "model",
  "px",
  "backend",
  "batch",
  "img/s",
  "peak RSS MB",
  "wasm heap MB",
  "torch img/s",
  "torch RSS MB",
  "tfjs/torch",
];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
console.log(`\nthreads: ${threads}${python ? `, PyTorch via ${python}` : ", PyTorch not available"}`);
console.log([line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
