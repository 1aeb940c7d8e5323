"use client";
/**
 * The Compare page: the config paths that differ (stage-aware), validation curves overlaid,
 * metric deltas against the first run, and confusion matrices side by side with their difference.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import type { ChartConfiguration } from "chart.js";
import { useTRPC } from "../lib/trpc";
import { lineConfig } from "../lib/lineConfig";
import { palette } from "../lib/chartSetup";
import { MISSING, pct, num, value } from "../lib/format";
import { ChartCanvas } from "./ChartCanvas";
import { MatrixChart, normalise, type MatrixMode } from "./MatrixChart";

export function CompareView({ ids }: { ids: string[] }) {
  const trpc = useTRPC();
  const [mode, setMode] = useState<MatrixMode>("normalised");
  const q = useQuery({ ...trpc.runs.compare.queryOptions({ ids }), enabled: ids.length >= 2 });
  if (ids.length < 2)
    return (
      <p className="empty">
        Pick two or more runs on the <Link href="/">Runs</Link> page to compare them.
      </p>
    );
  if (q.error) return <p className="error">{q.error.message}</p>;
  if (!q.data) return <p className="muted">Loading…</p>;
  const runs = q.data.runs;
  const [a, ...rest] = runs;
  if (!a) return null;
  const paths = [...new Set(rest.flatMap((r) => r.diff.map((d) => d.path)))];
  const valueOf = (i: number, path: string) => {
    if (i === 0) return rest.flatMap((r) => r.diff).find((d) => d.path === path)?.before;
    const d = runs[i]!.diff.find((x) => x.path === path);
    return d ? d.after : rest.flatMap((r) => r.diff).find((x) => x.path === path)?.before;
  };
  const curve = (key: "validAccuracy" | "validLoss"): ChartConfiguration =>
    lineConfig(
      runs.map((r, i) => ({
        label: new Set(runs.map((x) => x.name)).size === runs.length ? r.name : r.id,
        data: r.epochs.map((p) => ({ x: p.x, y: p[key] })),
        color: palette[i % palette.length]!,
        points: true,
      })),
      {
        xTitle: "epoch",
        integerX: true,
        percent: key === "validAccuracy",
        yMax: key === "validAccuracy" ? 1 : undefined,
      },
    ) as unknown as ChartConfiguration;
  const b = runs[1];
  const sameClasses = b && b.confusion && a.confusion && a.classes.join() === b.classes.join();
  const diffMatrix =
    sameClasses && a.confusion && b.confusion
      ? normalise(b.confusion).map((row, i) => row.map((v, j) => v - normalise(a.confusion!)[i]![j]!))
      : null;

  return (
    <>
      <h1>Compare {runs.length} runs</h1>
      <div className="grid">
        <div className="card wide">
          <h2>Config differences (against {a.id})</h2>
          {paths.length === 0 ? (
            <p className="muted">The resolved configs are identical.</p>
          ) : (
            <div className="table-wrap">
              <table data-testid="config-diff">
                <thead>
                  <tr>
                    <th>Path</th>
                    {runs.map((r) => (
                      <th key={r.id}>{r.id}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {paths.map((p) => (
                    <tr key={p} data-path={p}>
                      <td className="mono">
                        {p}
                        {changeNote(rest.flatMap((r) => r.diff).find((d) => d.path === p))}
                      </td>
                      {runs.map((r, i) => (
                        <td key={r.id} className="mono">
                          {value(valueOf(i, p))}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
        <div className="card wide">
          <h2>Metrics</h2>
          <table data-testid="metric-deltas">
            <thead>
              <tr>
                <th>Run</th>
                <th>Status</th>
                <th className="num">Best acc</th>
                <th className="num">Δ best</th>
                <th className="num">Last acc</th>
                <th className="num">Δ last</th>
                <th className="num">Last valid loss</th>
                <th className="num">Δ loss</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link href={`/runs/${encodeURIComponent(r.id)}`}>{r.name}</Link>{" "}
                    <span className="muted mono">{r.id}</span>
                  </td>
                  <td>
                    <span className={`badge ${r.status}`}>{r.status}</span>
                  </td>
                  <td className="num">{pct(r.best)}</td>
                  <td className="num">{r === a ? "" : delta(r.best, a.best, true)}</td>
                  <td className="num">{pct(r.last)}</td>
                  <td className="num">{r === a ? "" : delta(r.last, a.last, true)}</td>
                  <td className="num">{num(r.lastValidLoss)}</td>
                  <td className="num">{r === a ? "" : delta(r.lastValidLoss, a.lastValidLoss, false)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div className="card">
          <h2>Validation accuracy</h2>
          <ChartCanvas testId="compare-accuracy" version={0} config={() => curve("validAccuracy")} />
        </div>
        <div className="card">
          <h2>Validation loss</h2>
          <ChartCanvas testId="compare-loss" version={0} config={() => curve("validLoss")} />
        </div>
        <div className="card wide">
          <div className="row" style={{ justifyContent: "space-between" }}>
            <h2>Confusion matrices</h2>
            <div className="row">
              {(["counts", "normalised"] as const).map((m) => (
                <label key={m}>
                  <input type="radio" name="cmp-mode" checked={mode === m} onChange={() => setMode(m)} /> {m}
                </label>
              ))}
            </div>
          </div>
          <div className="grid" style={{ marginTop: 0 }}>
            {runs.map((r) =>
              r.confusion ? (
                <div key={r.id}>
                  <h2 className="muted">{r.id}</h2>
                  <MatrixChart
                    matrix={r.confusion}
                    classes={r.classes}
                    mode={mode}
                    version={0}
                    testId={`compare-confusion-${r.id}`}
                  />
                </div>
              ) : null,
            )}
            {diffMatrix && b ? (
              <div>
                <h2 className="muted">
                  Difference (normalised): {b.id} − {a.id}
                </h2>
                <MatrixChart
                  matrix={diffMatrix}
                  classes={a.classes}
                  mode="diff"
                  version={0}
                  testId="compare-confusion-diff"
                />
              </div>
            ) : null}
          </div>
        </div>
      </div>
    </>
  );
}

function delta(x: number | null, base: number | null, percent: boolean) {
  if (x === null || base === null) return MISSING;
  const d = x - base;
  const text = percent ? `${d >= 0 ? "+" : ""}${(d * 100).toFixed(1)} pp` : `${d >= 0 ? "+" : ""}${num(d, 3)}`;
  const good = percent ? d > 0 : d < 0;
  return <span className={d === 0 ? "muted" : good ? "added" : "removed"}>{text}</span>;
}

/** Marks changes that are not plain value changes, and fields outside the config hash. */
function changeNote(change: { kind: string; defining: boolean } | undefined) {
  if (!change) return null;
  const notes = [change.kind !== "changed" ? change.kind : null, change.defining ? null : "not in config hash"];
  const text = notes.filter(Boolean).join(", ");
  return text ? <span className="muted"> ({text})</span> : null;
}
