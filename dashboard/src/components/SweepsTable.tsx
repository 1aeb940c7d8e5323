"use client";
/** The Sweeps page: every sweep with its status, trial count and best trial; refreshed while any runs. */
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../lib/trpc";
import type { SweepRow } from "../server/store/sweeps";

export function SweepsTable({ initial }: { initial: SweepRow[] }) {
  const trpc = useTRPC();
  const list = useQuery({
    ...trpc.sweeps.list.queryOptions(),
    initialData: initial,
    refetchInterval: (q) => (q.state.data?.some((s) => s.status === "running") ? 3000 : false),
  });
  const rows = list.data ?? initial;
  if (rows.length === 0) return <p className="muted">No sweeps yet: `tessera sweep &lt;file&gt;` starts one.</p>;
  return (
    <table className="runs">
      <thead>
        <tr>
          <th>Sweep</th>
          <th>Status</th>
          <th>Trials</th>
          <th>Objective</th>
          <th>Best</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((s) => (
          <tr key={s.id} data-sweep={s.id}>
            <td>
              <Link href={`/sweeps/${encodeURIComponent(s.id)}`} data-testid="sweep-link">
                {s.id}
              </Link>
            </td>
            <td>{s.status}</td>
            <td>
              {s.trials}/{s.planned}
            </td>
            <td>
              {s.metric} ({s.mode})
            </td>
            <td>
              {s.best?.objective == null ? (
                "-"
              ) : (
                <Link href={`/runs/${encodeURIComponent(s.best.runId)}`}>
                  {s.best.objective.toFixed(4)} (trial {s.best.trial})
                </Link>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
