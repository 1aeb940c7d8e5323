/** `tessera plan` as text: one block a stage, with a small chart of the LR over the stage. */
import type { ResolvedSchedule } from "@tessera/shared";
import type { Plan, PlanMemory, PlanStage } from "./plan";
import { fmtNum } from "./problems";
import { displayName } from "./source";

const BLOCKS = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/** Renders the plan for a terminal (no colour codes, so it reads the same in a log). */
export function formatPlan(plan: Plan): string {
  const out: string[] = [];
  out.push(`${displayName(plan.file)}  ${plan.name}  config_hash ${plan.configHash.slice(0, 12)}`);
  const m = plan.model;
  const groups = Object.entries(m.groups)
    .map(([g, parts]) => `${g} = ${parts.join(" ")}`)
    .join(" | ");
  out.push(
    `model  ${m.backbone}${m.width !== 1 ? ` x${m.width}` : ""} (pretrained: ${m.pretrained})  groups: ${groups}`,
  );
  out.push(`data   ${dataLine(plan)}`);
  if (plan.recompute)
    out.push("train  recompute: each ResNet block's forward runs again in the backward pass (less memory)");
  for (const stage of plan.stages) out.push("", ...formatStage(stage));
  const epochs = plan.stages.reduce((n, s) => n + s.epochs, 0);
  const steps = plan.stages.every((s) => s.totalSteps !== null)
    ? `, ${plan.stages.reduce((n, s) => n + (s.totalSteps ?? 0), 0)} optimiser steps`
    : "";
  const folds =
    plan.data.count && plan.data.count.folds.length > 1 ? `, per fold (${plan.data.count.folds.length} folds)` : "";
  out.push("", `total  ${plan.stages.length} stages, ${epochs} epochs${steps}${folds}`);
  if (plan.memory) out.push(...memoryLines(plan.memory));
  return `${out.join("\n")}\n`;
}

/** `memory  wasm: head 0.1 GiB, all 0.3 GiB (heap 4 GiB)`, then each stage that does not fit. */
function memoryLines(memory: PlanMemory): string[] {
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(b < 1024 ** 3 ? 2 : 1)} GiB`;
  const sizes = memory.stages.map((s) => `${s.stage} ${gib(s.bytes)} (batch ${s.batch})`).join(", ");
  const lines = [`memory ${memory.backend}: ${sizes}`];
  for (const s of memory.stages) if (s.problem) lines.push(`  does not fit: ${s.problem}`);
  return lines;
}

function dataLine(plan: Plan): string {
  const { count, source, path } = plan.data;
  const where = path ? `${source} ${displayName(path)}` : source;
  if (!count) return `${where}  (add --check-data to count images and give exact step counts)`;
  const folds = count.folds;
  const split =
    folds.length === 1
      ? `train ${folds[0]!.train} / valid ${folds[0]!.valid}`
      : `${folds.length} folds, train ${folds[0]!.train} / valid ${folds[0]!.valid} each (fold ${folds[0]!.id})`;
  return `${where}: ${count.images} images, ${count.classes.length} classes; ${split}`;
}

/** What `bn:` does to the trainable groups, after their names. */
const BN_NOTE: Record<PlanStage["bn"], string> = {
  train: "",
  inference: " (BatchNorm in inference mode: moving statistics fixed, gamma/beta train)",
  frozen: " (BatchNorm frozen: moving statistics and gamma/beta fixed)",
};

function formatStage(s: PlanStage): string[] {
  const steps =
    s.stepsPerEpoch !== null
      ? `${s.stepsPerEpoch} steps/epoch = ${s.totalSteps} steps`
      : "steps/epoch unknown without --check-data";
  const lines = [
    `stage ${s.index} "${s.name}"  ${s.epochs} epoch${s.epochs === 1 ? "" : "s"}  size ${s.size}  batch ${s.batchSize}  ${steps}`,
  ];
  const frozen =
    s.frozen.length > 0 ? `   frozen: ${s.frozen.join(", ")}${s.trainBn ? " (their BatchNorm still trains)" : ""}` : "";
  lines.push(`  trains    ${s.trainable.join(", ")}${BN_NOTE[s.bn]}${frozen}`);
  if (s.lr.kind === "fixed") {
    lines.push(
      `  lr        ${Object.entries(s.lr.groups)
        .map(([g, v]) => `${g} ${fmtNum(v, 3)}`)
        .join(" / ")}`,
    );
  } else {
    const recipe = Object.entries(s.lr.groups)
      .map(([g, v]) => `${g} ${v}`)
      .join(" / ");
    lines.push(
      `  lr        LR finder (${s.lr.steps} steps, ${fmtNum(s.lr.range[0])}..${fmtNum(s.lr.range[1])}), lr = its "${s.lr.suggest}" pick: ${recipe}`,
    );
  }
  lines.push(`  schedule  ${describeSchedule(s.schedule)}`);
  lines.push(...chart(s));
  return lines;
}

/** `one_cycle  pct_start 0.25, div 25, div_final 1e5, moms 0.95 -> 0.85`. */
export function describeSchedule(s: ResolvedSchedule): string {
  switch (s.name) {
    case "constant":
      return "constant";
    case "one_cycle":
      return `one_cycle  warm-up ${s.pct_start * 100}% from max/${fmtNum(s.div)}, anneal to max/${fmtNum(s.div_final)}, momentum ${s.moms[0]} -> ${s.moms[1]} -> ${s.moms[0]}`;
    case "sgdr":
      return `sgdr  cosine restarts, first cycle ${s.cycle_epochs} epoch${s.cycle_epochs === 1 ? "" : "s"}, x${s.cycle_mult} each${s.min_lr_ratio ? `, floor ${s.min_lr_ratio} x max` : ""}`;
    case "flat_cos":
      return `flat_cos  flat for ${s.pct_start * 100}%, then cosine to ~0`;
  }
}

/** A block chart of the LR factor (0..1 of each group's max) over the stage, epochs below. */
export function chart(s: PlanStage, height = 4): string[] {
  const values = s.curve.map((p) => p.lrFactor);
  const rows: string[] = [];
  for (let r = height - 1; r >= 0; r--) {
    const row = values
      .map((v) => {
        const eighths = Math.round(Math.max(0, Math.min(1, v)) * height * 8) - r * 8;
        return BLOCKS[Math.max(0, Math.min(8, eighths))];
      })
      .join("");
    const label = r === height - 1 ? "max" : "   ";
    rows.push(`  ${label} │${row}`.trimEnd());
  }
  const width = values.length;
  rows.push(`    0 └${"─".repeat(width)}`);
  const axis = new Array<string>(width + 8).fill(" ");
  const ticks = s.epochs <= 10 ? s.epochs : 10;
  for (let t = 0; t <= ticks; t++) {
    const epoch = (t / ticks) * s.epochs;
    const col = Math.min(width, Math.round((epoch / s.epochs) * width));
    const text = String(Number(epoch.toFixed(1)));
    for (let k = 0; k < text.length; k++) axis[7 + col + k] = text[k]!;
  }
  rows.push(`${axis.join("").trimEnd()}  epochs`);
  return rows;
}
