"use client";
/**
 * The Sweep page: the live trial table (sortable; each trial links to its run page), a
 * parallel-coordinates chart and the best objective so far. trials.jsonl records stream over one
 * SSE subscription and are folded with the shared `foldTrials`, the same fold `tessera sweep show`
 * uses. Parallel coordinates are `chartjs-chart-pcp` (one axis per parameter and one for the
 * objective, each with its own scale and ticks: log for a parameter spanning decades, the values
 * themselves on a categorical one; see lib/pcp.ts).
 */
import Link from "next/link";
import { skipToken } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useRef, useState } from "react";
import { foldTrials, sortByObjective, type TrialRecord, type TrialRow } from "@tessera/shared";
import { useTRPC } from "../lib/trpc";
import { palette } from "../lib/chartSetup";
import { pcpAxes } from "../lib/pcp";
import { ChartCanvas } from "./ChartCanvas";

type SortKey = "objective" | "trial" | "status" | "rung";

function sortRows(rows: TrialRow[], key: SortKey, mode: "max" | "min", asc: boolean): TrialRow[] {
  const sorted =
    key === "objective"
      ? sortByObjective(rows, mode)
      : [...rows].sort((a, b) =>
          String(a[key] ?? "").localeCompare(String(b[key] ?? ""), undefined, { numeric: true }),
        );
  return asc === (key === "objective") ? sorted : sorted.reverse();
}

export function SweepView({ id }: { id: string }) {
  const trpc = useTRPC();
  const records = useRef<TrialRecord[]>([]);
  const [version, setVersion] = useState(0);
  const [sort, setSort] = useState<{ key: SortKey; asc: boolean }>({ key: "objective", asc: true });
  useSubscription(
    trpc.sweeps.records.subscriptionOptions(id ? { id, lastEventId: null } : skipToken, {
      onData: (tracked) => {
        records.current.push(tracked.data as TrialRecord);
        setVersion((v) => v + 1);
      },
    }),
  );
  const state = foldTrials(records.current);
  if (records.current.length === 0) return <p className="muted">Loading sweep {id}…</p>;
  const params = [...new Set(state.trials.flatMap((t) => Object.keys(t.params)))];
  const scored = state.trials.filter((t) => t.objective !== null);
  const pcp = pcpAxes(state.trials, params, state.metric);
  const lineColor = (ctx: { dataIndex: number }) =>
    scored[ctx.dataIndex]?.trial === state.best ? "#d62728" : palette[ctx.dataIndex % palette.length]!;
  const lineWidth = (ctx: { dataIndex: number }) => (scored[ctx.dataIndex]?.trial === state.best ? 3 : 1.2);
  const start = state.trials[0] ? Date.parse(state.trials[0].started) : 0;
  const bestPoints = state.bestSoFar.map((b) => ({ x: (Date.parse(b.time) - start) / 1000, y: b.value }));
  const rows = sortRows(state.trials, sort.key, state.mode, sort.asc);
  const header = (key: SortKey, label: string) => (
    <th onClick={() => setSort((s) => ({ key, asc: s.key === key ? !s.asc : true }))} style={{ cursor: "pointer" }}>
      {label}
      {sort.key === key ? (sort.asc ? " ▲" : " ▼") : ""}
    </th>
  );
  return (
    <div>
      <h1>Sweep {id}</h1>
      <p>
        <span data-testid="sweep-status">{state.status}</span>: {state.trials.length} of {state.planned} trials,{" "}
        {state.parallel} at once, objective {state.metric} ({state.mode})
        {state.rungs ? `, ASHA rungs at epochs ${state.rungs.join(", ")}` : ""}
      </p>
      <table className="runs" data-testid="trial-table">
        <thead>
          <tr>
            {header("trial", "Trial")}
            {header("status", "Status")}
            {header("rung", "Rung")}
            {header("objective", state.metric)}
            {params.map((p) => (
              <th key={p}>{p}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr
              key={t.trial}
              data-trial={t.trial}
              data-status={t.status}
              className={t.trial === state.best ? "best" : ""}
            >
              <td>
                <Link href={`/runs/${encodeURIComponent(t.run_id)}`}>trial {t.trial}</Link>
                {t.trial === state.best ? " ★" : ""}
              </td>
              <td>{t.status}</td>
              <td>{t.rung ?? "-"}</td>
              <td>{t.objective === null ? "-" : t.objective.toFixed(4)}</td>
              {params.map((p) => (
                <td key={p}>{JSON.stringify(t.params[p])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Parallel coordinates</h2>
      <ChartCanvas
        testId="pcp-chart"
        version={version}
        points={scored.length}
        onUpdate={(chart) => {
          chart.data.labels = pcp.labels;
          chart.data.datasets = pcp.axes.map((a) => ({
            type: a.log ? ("logarithmicPcp" as const) : ("pcp" as const),
            label: a.label,
            data: a.data,
            borderColor: lineColor,
            borderWidth: lineWidth,
            ...(a.categories
              ? { ticks: { stepSize: 1, callback: (v: number | string) => a.categories![Number(v)] ?? "" } }
              : {}),
          }));
        }}
        config={() => ({
          type: "pcp",
          data: { labels: [], datasets: [] },
          options: { animation: false, layout: { padding: { top: 12 } }, plugins: { legend: { display: false } } },
        })}
      />
      <h2>Best {state.metric} so far</h2>
      <ChartCanvas
        testId="best-chart"
        version={version}
        points={bestPoints.length}
        onUpdate={(chart) => {
          chart.data.datasets[0]!.data = bestPoints;
        }}
        config={() => ({
          type: "line",
          data: {
            datasets: [{ label: `best ${state.metric}`, data: bestPoints, stepped: true, borderColor: palette[0]! }],
          },
          options: {
            animation: false,
            parsing: false,
            scales: { x: { type: "linear", title: { display: true, text: "seconds since the first trial" } } },
          },
        })}
      />
    </div>
  );
}
