/**
 * Training-step throughput: images/s of one step (forward + backward + SGD update) of ResNet-18/50
 * at 64/128/224 px on each tfjs backend, with the peak memory, and (when `import torch` works) the
 * same model in PyTorch on the same thread count, run back to back so the ratio is fair on a
 * shared machine (img/cpu-s, images per CPU-second, is the steadier figure when other jobs compete
 * for the cores). `--modes infer` measures inference (forward only) the same way. Each measurement
 * runs in its own process so memory peaks don't mix.
 *
 *   pnpm exec tsx bench/train-step.ts [--models resnet18,resnet50] [--sizes 64,128,224]
 *     [--backends wasm,cpu,webgpu] [--modes train,infer] [--batch 16] [--steps 3] [--threads 1]
 *     [--no-torch] [--profile]
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { measureTfjs, type Mode, type StepResult } from "./train-step-tfjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const { values: o } = parseArgs({
  options: {
    models: { type: "string", default: "resnet18,resnet50" },
    sizes: { type: "string", default: "64,128,224" },
    backends: { type: "string", default: "wasm,cpu" },
    modes: { type: "string", default: "train" },
    batch: { type: "string", default: "16" },
    steps: { type: "string", default: "3" },
    threads: { type: "string", default: "1" },
    "no-torch": { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    child: { type: "string" },
  },
});

if (o.child !== undefined) {
  // One measurement: model,size,backend,batch,steps,threads,mode — prints one JSON line.
  const [model, size, backend, batch, steps, threads, mode] = o.child.split(",");
  const r = await measureTfjs({
    model: model!,
    size: Number(size),
    backend: backend!,
    batch: Number(batch),
    steps: Number(steps),
    threads: Number(threads),
    mode: mode as Mode,
    profile: o.profile,
  });
  console.log(JSON.stringify(r));
  process.exit(0);
}

/**
 * wasm32 stops at 4 GiB: the largest training batch that fits. ResNet-50 at 128 px fits batch 16
 * since the convolutions moved to the fused module's GEMM (wasm heap 3,093 MB; XNNPACK no longer
 * keeps packed filter copies; it aborted before), at 224 px batch 4 (2,433 MB).
 * PyTorch runs the same batch for a like-for-like ratio, but note that Debian's PyTorch 1.13 is
 * ~7x slower per image on ResNet-50 at batches up to 12 than at 16 (at 128 px,
 * bench/train_step_torch.py: 2.0 vs 16.4 img/cpu-s in one session, 1.1-1.4 vs 7.9-9.4 on
 * 2026-12-03), so ResNet-50 ratios at batch 8 or below flatter tfjs; compare at batch 16.
 */
function batchFor(model: string, size: number, asked: number, backend: string, mode: Mode): number {
  if (backend === "cpu") return 2; // ~0.25 img/s: two images are already a long step.
  if (mode === "infer") return asked;
  if (model === "resnet50" && size >= 224) return Math.min(asked, 4);
  if (model === "resnet50" && size >= 128) return Math.min(asked, 16);
  return asked;
}

type Outcome = StepResult | { error: string };
const ok = (x: Outcome | null): x is StepResult => x !== null && "images_per_s" in x;

function child(cmd: string, args: string[]): Outcome {
  try {
    const out = execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
    const lines = out.trim().split("\n");
    if (o.profile && lines.length > 1) console.log(lines.slice(0, -1).join("\n"));
    return JSON.parse(lines.at(-1)!) as StepResult;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    const msg = (e.stderr ?? e.message).split("\n").find((l) => /Error|Aborted|abort/.test(l));
    return { error: (msg ?? e.message).trim().slice(0, 60) };
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
const sizes = o.sizes.split(",").map(Number);
const fmt = (n: number) => n.toFixed(n < 10 ? 2 : 1);
const rows: string[][] = [];
for (const mode of o.modes.split(",") as Mode[]) {
  for (const model of o.models.split(",")) {
    for (const size of sizes) {
      for (const backend of o.backends.split(",")) {
        if (backend === "cpu" && size !== sizes[0]) continue;
        const batch = batchFor(model, size, Number(o.batch), backend, mode);
        const steps = backend === "cpu" ? 1 : Number(o.steps);
        const spec = [model, size, backend, batch, steps, threads, mode].join(",");
        const tsxArgs = ["--import", "tsx", fileURLToPath(import.meta.url), "--child", spec];
        const r = child(process.execPath, o.profile ? [...tsxArgs, "--profile"] : tsxArgs);
        const pyArgs = [
          `${here}train_step_torch.py`,
          "--model",
          model,
          "--size",
          String(size),
          "--batch",
          String(batch),
        ];
        const t =
          python && backend !== "cpu"
            ? child(python, [...pyArgs, "--steps", String(steps), "--threads", String(threads), "--mode", mode])
            : null;
        rows.push([
          mode,
          model,
          String(size),
          ok(r) && r.device ? `${backend} (${r.device})` : backend,
          String(ok(r) ? r.threads : threads),
          String(batch),
          ok(r) ? fmt(r.images_per_s) : `failed: ${(r as { error: string }).error}`,
          ok(r) ? fmt(r.images_per_cpu_s) : "-",
          ok(r) ? r.peak_rss_mb.toFixed(0) : "-",
          ok(r) && r.wasm_heap_mb !== undefined ? r.wasm_heap_mb.toFixed(0) : "-",
          ok(t) ? fmt(t.images_per_s) : t ? "failed" : "-",
          ok(t) ? fmt(t.images_per_cpu_s) : "-",
          ok(t) ? t.peak_rss_mb.toFixed(0) : "-",
          ok(r) && ok(t) ? (r.images_per_s / t.images_per_s).toFixed(3) : "-",
          ok(r) && ok(t) ? (r.images_per_cpu_s / t.images_per_cpu_s).toFixed(3) : "-",
        ]);
        console.error(rows.at(-1)!.join("  "));
      }
    }
  }
}
const head = [
  "mode",
  "model",
  "px",
  "backend",
  "threads",
  "batch",
  "img/s",
  "img/cpu-s",
  "peak RSS MB",
  "wasm heap MB",
];
head.push("torch img/s", "torch img/cpu-s", "torch RSS MB", "tfjs/torch wall", "tfjs/torch cpu");
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i]!)).join(" | ") + " |";
console.log(`\nthreads: ${threads}${python ? `, PyTorch via ${python}` : ", PyTorch not available"}`);
console.log([line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n"));
