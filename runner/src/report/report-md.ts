/**
 * report.md: reads well on GitHub — a one-paragraph summary, a metrics table, the stages, the
 * charts (as image links to files next to it), the most confused pairs, per-class scores and the
 * config collapsed in `<details>`. With a baseline, the metric deltas and config changes too.
 */
import { formatChange, formatValue, MISSING } from "@tessera/shared";
import type { Chart } from "./charts";
import type { DiffResult } from "./diff";
import { code, duration, escapeHtml, md, mdTable, num, pct, pp, signed } from "./format";
import type { RunSide } from "./run-side";
import { meanStd } from "@tessera/shared";

export interface ReportInput {
  run: RunSide;
  baseline: RunSide | null;
  /** The diff of baseline -> run when there is a baseline. */
  diff: DiffResult | null;
  charts: Chart[];
  /** Folder of the chart files relative to report.md, e.g. `charts`. */
  chartsDir: string;
}

function summaryParagraph({ run, baseline, diff }: ReportInput): string {
  const { config, meta, metrics: m } = run;
  const stages = config.train.stages;
  const epochs = stages.reduce((s, x) => s + x.epochs, 0);
  const valid = m.confusion.reduce((s, row) => s + row.reduce((t, x) => t + x, 0), 0);
  const parts: string[] = [];
  parts.push(
    `${code(config.name)} fine-tuned a ${md(config.model.backbone)} (weights: ${md(String(config.model.pretrained))}) in ${stages.length} stage${stages.length === 1 ? "" : "s"} (${stages.map((s) => md(s.name)).join(", ")}; ${epochs} epochs planned)`,
  );
  if (m.best) {
    const where = `stage ${md(m.best.stage)}, epoch ${m.best.epoch}${m.best.fold === null ? "" : `, fold ${m.best.fold}`}`;
    const what = m.folds
      ? `a mean validation accuracy over ${m.folds.length} folds of ${pct(m.best.value)}`
      : `a best validation accuracy of ${pct(m.best.value)} (${where})`;
    const ending = `${pct(m.final?.valid_accuracy ?? null)} with validation loss ${num(m.final?.valid_loss ?? null)}`;
    parts[0] += m.folds
      ? ` and reached ${what} (the last fold ended at ${ending})`
      : ` and reached ${what}, ending at ${ending}`;
  } else {
    parts[0] += " and has no finished epoch yet";
  }
  parts[0] += `, on ${m.classes.length} classes${valid ? ` and ${valid} validation images` : ""}, in ${duration(m.seconds)} on the ${md(meta.backend?.name ?? "unknown")} backend.`;
  if (meta.status !== "finished")
    parts.push(`The run is **${md(meta.status)}**: its numbers are from its last finished epoch.`);
  const worst = m.mostConfused[0];
  if (worst)
    parts.push(
      `The most confused pair is ${md(worst.actual)} → ${md(worst.predicted)} (${worst.count} image${worst.count === 1 ? "" : "s"}).`,
    );
  else if (m.confusion.length) parts.push("No validation image was misclassified.");
  if (baseline && diff?.metrics) {
    const best = diff.metrics.metrics.find((x) => x.name === "valid.accuracy");
    const changes = diff.config.length;
    parts.push(
      `Against the baseline ${code(baseline.label)}: ${best ? `${pp(best.delta)} best validation accuracy` : "no comparable accuracy"}, with ${changes} config change${changes === 1 ? "" : "s"}${diff.warnings.length ? ` and ${diff.warnings.length} warning${diff.warnings.length === 1 ? "" : "s"} below` : ""}.`,
    );
  }
  return parts.join(" ");
}

function metricsTable({ run, diff }: ReportInput): string {
  if (diff?.metrics) {
    const rows = diff.metrics.metrics.map((x) => {
      const v = (n: number | null) => (x.fraction ? pct(n) : num(n));
      return [md(x.label), v(x.b), v(x.a), x.fraction ? pp(x.delta) : signed(x.delta)];
    });
    return mdTable(["metric", "this run", "baseline", "Δ"], rows, ["l", "r", "r", "r"]);
  }
  const m = run.metrics;
  const rows = m.folds?.length
    ? kfoldRows(m)
    : [
        ["best valid accuracy", pct(m.best?.value ?? null)],
        ["final valid accuracy", pct(m.final?.valid_accuracy ?? null)],
        ["best valid loss", num(m.bestLoss)],
        ["final valid loss", num(m.final?.valid_loss ?? null)],
        ["final train loss", num(m.final?.train_loss ?? null)],
        ...(m.tta === null ? [] : [["TTA accuracy", pct(m.tta)]]),
      ];
  return mdTable(["metric", "value"], rows, ["l", "r"]);
}

/** A k-fold run: the protocol's numbers (mean ± std over folds) first, then the last fold's. */
function kfoldRows(m: RunSide["metrics"]): string[][] {
  const folds = m.folds ?? [];
  const spread = (values: number[]) => {
    const { mean, std } = meanStd(values);
    return `${pct(mean)} ± ${pct(std)}`;
  };
  const tta = folds.every((f) => f.tta_accuracy != null) ? folds.map((f) => f.tta_accuracy!) : null;
  const n = folds.length;
  return [
    [`valid accuracy, final epoch: mean ± std over ${n} folds`, spread(folds.map((f) => f.valid_accuracy))],
    ...(tta ? [[`TTA accuracy: mean ± std over ${n} folds`, spread(tta)]] : []),
    ["last fold: final valid accuracy", pct(m.final?.valid_accuracy ?? null)],
    ["last fold: final valid loss", num(m.final?.valid_loss ?? null)],
    ["last fold: final train loss", num(m.final?.train_loss ?? null)],
  ];
}

function stagesTable(run: RunSide): string {
  const rows = run.config.train.stages.map((s) => {
    const started = run.metrics.stages.find((e) => e.stage === s.name);
    const lrs = started
      ? Object.entries(started.lr)
          .map(([g, lr]) => `${md(g)} ${formatValue(Number(lr.toPrecision(3)))}`)
          .join(", ")
      : md(formatValue(s.lr));
    return [
      md(s.name),
      String(s.size),
      String(s.epochs),
      s.trainable.map(md).join(", "),
      lrs,
      md(formatValue(s.schedule)),
    ];
  });
  return mdTable(["stage", "size", "epochs", "trainable", "max LR per group", "schedule"], rows, ["l", "r", "r"]);
}

/** A fence longer than any backtick run in `text`. */
const fenceFor = (text: string) => "`".repeat(Math.max(3, ...[...text.matchAll(/`+/g)].map((m) => m[0].length + 1)));

/** The whole report.md text. */
export function renderReportMarkdown(input: ReportInput): string {
  const { run, baseline, diff, charts, chartsDir } = input;
  const m = run.metrics;
  const out: string[] = [`# Run ${code(run.meta.id)}`, "", summaryParagraph(input), ""];
  for (const w of diff?.warnings ?? []) out.push("> [!WARNING]", `> ${md(w)}`, "");
  out.push("## Metrics", "", metricsTable(input), "");
  if (m.folds?.length) {
    const tta = m.folds.some((f) => f.tta_accuracy != null);
    const rows = m.folds.map((f) => [
      String(f.fold),
      pct(f.valid_accuracy),
      ...(tta ? [f.tta_accuracy == null ? MISSING : pct(f.tta_accuracy)] : []),
    ]);
    const header = ["fold", "valid accuracy", ...(tta ? ["with TTA"] : [])];
    out.push(
      mdTable(
        header,
        rows,
        header.map(() => "r" as const),
      ),
      "",
    );
  }
  out.push("## Stages", "", stagesTable(run), "");
  if (charts.length) {
    out.push("## Charts", "");
    for (const c of charts) out.push(`![${md(c.title)}](${chartsDir}/${encodeURIComponent(c.file)})`, "");
  }
  const scope = m.confusionOf === "all folds" ? " (all folds, each image once)" : "";
  out.push(`## Most confused pairs${scope}`, "");
  if (m.mostConfused.length) {
    out.push(
      mdTable(
        ["true", "predicted", "images"],
        m.mostConfused.slice(0, 10).map((p) => [md(p.actual), md(p.predicted), String(p.count)]),
        ["l", "l", "r"],
      ),
      "",
    );
  } else {
    out.push(
      m.confusion.length ? "None: every validation image was classified correctly." : "No confusion matrix yet.",
      "",
    );
  }
  if (m.perClass.length) {
    out.push("<details>", `<summary>Per-class precision, recall and F1${scope}</summary>`, "");
    const rows = m.perClass.map((p) => [
      md(p.class),
      num(p.precision, 3),
      num(p.recall, 3),
      num(p.f1, 3),
      String(p.support),
    ]);
    out.push(
      mdTable(["class", "precision", "recall", "F1", "images"], rows, ["l", "r", "r", "r", "r"]),
      "",
      "</details>",
      "",
    );
  }
  if (baseline && diff) {
    out.push(`## Changes against ${code(baseline.label)}`, "");
    if (diff.config.length) for (const c of diff.config) out.push(`- ${code(formatChange(c))}`);
    else out.push("No config changes.");
    out.push("");
    const m2 = diff.metrics;
    if (m2?.f1.length) {
      out.push(`Per-class F1 changes of ${m2.f1Threshold} or more:`, "");
      const rows = m2.f1.map((f) => [md(f.class), num(f.b, 3), num(f.a, 3), signed(f.delta, 3)]);
      out.push(mdTable(["class", "this run", "baseline", "Δ"], rows, ["l", "r", "r", "r"]), "");
    }
    if (m2?.confusion.length) {
      out.push("Confusion pairs that changed (true → predicted):", "");
      const rows = m2.confusion
        .slice(0, 10)
        .map((p) => [
          `${md(p.actual)} → ${md(p.predicted)}`,
          String(p.b),
          String(p.a),
          p.delta > 0 ? `+${p.delta}` : `−${-p.delta}`,
        ]);
      out.push(mdTable(["pair", "this run", "baseline", "Δ"], rows, ["l", "r", "r", "r"]), "");
    }
  }
  const fence = fenceFor(run.configYaml);
  out.push(
    "<details>",
    `<summary>Config (<code>config.yaml</code>, hash <code>${escapeHtml(run.configHash.slice(0, 16))}</code>)</summary>`,
    "",
  );
  out.push(`${fence}yaml`, run.configYaml.trimEnd(), fence, "", "</details>", "");
  const b = run.meta.backend;
  out.push("<details>", "<summary>Provenance</summary>", "");
  out.push(
    mdTable(
      ["", ""],
      [
        ["run", code(run.meta.id)],
        ["status", md(run.meta.status)],
        ["started", md(run.meta.started)],
        ["ended", md(run.meta.ended ?? MISSING)],
        [
          "backend",
          b
            ? md(
                `${b.name} ${b.version}${b.threads ? `, ${b.threads} thread${b.threads === 1 ? "" : "s"}` : ""}${b.device ? `, ${b.device}` : ""}`,
              )
            : MISSING,
        ],
        ["git commit", run.meta.git_commit ? code(run.meta.git_commit) : MISSING],
        ["split hash", run.meta.split_hash ? code(run.meta.split_hash) : MISSING],
        ["data hash", run.meta.data_hash ? code(run.meta.data_hash) : MISSING],
        ["host", md(run.meta.host)],
        [
          "versions",
          Object.entries(run.meta.versions)
            .map(([k, v]) => md(`${k} ${v}`))
            .join(", "),
        ],
      ],
    ),
    "",
    "</details>",
  );
  return `${out.join("\n")}\n`;
}
