"use client";
/**
 * The Runs page: every run in the store with live status, filter/sort/paginate done by the
 * server (so 1,000 runs stay cheap for the browser), and a selection to compare.
 */
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { RunStatus } from "@tessera/shared";
import type { inferRouterOutputs } from "@trpc/server";
import { useTRPC } from "../lib/trpc";
import type { AppRouter } from "../server/routers/_app";
import { duration, MISSING, pct } from "../lib/format";
import { epochOfEpochs } from "../lib/epochs";

const PAGE = 100;
type SortKey = "started" | "name" | "status" | "bestAccuracy" | "lastAccuracy" | "seconds" | "backend" | "configHash";
const statuses: RunStatus[] = ["running", "finished", "failed", "interrupted", "stopped_early"];

/** The first page as the server rendered it (default filter and sort). */
export type RunsPage = inferRouterOutputs<AppRouter>["runs"]["list"];

export function RunsTable({ initial }: { initial?: RunsPage }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [q, setQ] = useState("");
  const [status, setStatus] = useState<RunStatus | "">("");
  const [sort, setSort] = useState<SortKey>("started");
  const [dir, setDir] = useState<"asc" | "desc">("desc");
  const [page, setPage] = useState(0);
  const [configHash, setConfigHash] = useState("");
  const [sweep, setSweep] = useState("");
  const [selected, setSelected] = useState<string[]>([]);
  const { data, error, isLoading } = useQuery({
    ...trpc.runs.list.queryOptions({
      q: q || undefined,
      status: status ? [status] : undefined,
      configHash: configHash || undefined,
      sweep: sweep || undefined,
      sort,
      dir,
      offset: page * PAGE,
      limit: PAGE,
    }),
    refetchInterval: 2000,
    initialData:
      !q && !status && !configHash && !sweep && sort === "started" && dir === "desc" && page === 0
        ? initial
        : undefined,
    placeholderData: (prev) => prev,
  });

  const header = (key: SortKey, label: string, numeric = false) => (
    <th
      className={`sortable${numeric ? " num" : ""}`}
      onClick={() => {
        if (sort === key) setDir(dir === "asc" ? "desc" : "asc");
        else {
          setSort(key);
          setDir(numeric ? "desc" : "asc");
        }
      }}
    >
      {label}
      {sort === key ? (dir === "asc" ? " ▲" : " ▼") : ""}
    </th>
  );
  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  if (error) return <p className="error">Could not list runs: {error.message}</p>;
  const total = data?.total ?? 0;
  const empty = !isLoading && total === 0 && !q && !status && !configHash && !sweep;
  return (
    <>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <h1>Runs</h1>
        <div className="row">
          <input
            type="search"
            placeholder="Filter by name, id or tag (sweep:…, host:…)"
            value={q}
            onChange={(e) => (setQ(e.target.value), setPage(0))}
          />
          <select
            value={status}
            onChange={(e) => (setStatus(e.target.value as RunStatus | ""), setPage(0))}
            aria-label="status"
          >
            <option value="">any status</option>
            {statuses.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          {sweep ? (
            <button onClick={() => setSweep("")} title="clear the sweep filter" data-testid="sweep-filter">
              sweep {sweep} ×
            </button>
          ) : null}
          {configHash ? (
            <button onClick={() => setConfigHash("")} title="clear the config filter">
              config {configHash.slice(0, 8)} ×
            </button>
          ) : null}
          <button
            className="primary"
            data-testid="compare"
            disabled={selected.length < 2}
            onClick={() => router.push(`/compare?ids=${selected.map(encodeURIComponent).join(",")}`)}
          >
            Compare {selected.length >= 2 ? selected.length : ""}
          </button>
        </div>
      </div>
      {empty ? (
        <div className="empty">
          <p>No runs yet in the run store.</p>
          <p>
            Start one with <code>pnpm tessera run configs/demo.yaml</code> — it shows up here live.
          </p>
        </div>
      ) : (
        <div className="card table-wrap" style={{ marginTop: 12 }}>
          <table data-testid="runs-table">
            <thead>
              <tr>
                <th />
                {header("status", "Status")}
                {header("name", "Name")}
                {header("bestAccuracy", "Best acc", true)}
                {header("lastAccuracy", "Last acc", true)}
                <th>Stage / epoch</th>
                {header("seconds", "Duration", true)}
                {header("backend", "Backend")}
                {header("configHash", "Config")}
                {header("started", "Started")}
              </tr>
            </thead>
            <tbody>
              {data?.rows.map((r) => (
                <tr key={r.id} data-run={r.id}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`select ${r.id}`}
                      checked={selected.includes(r.id)}
                      onChange={() => toggle(r.id)}
                    />
                  </td>
                  <td>
                    {r.stale ? (
                      <span
                        className="badge interrupted"
                        title={`the process writing this run is gone; continue it with: pnpm tessera run --resume ${r.id}`}
                      >
                        stale
                      </span>
                    ) : (
                      <span className={`badge ${r.status}`}>{r.status}</span>
                    )}
                  </td>
                  <td>
                    <Link href={`/runs/${encodeURIComponent(r.id)}`} data-testid="run-link">
                      {r.name}
                    </Link>
                    <div className="muted mono">{r.id}</div>
                    {r.sweep ? (
                      <a
                        href="#"
                        className="muted"
                        title={`only the trials of sweep ${r.sweep}`}
                        onClick={(e) => {
                          e.preventDefault();
                          setSweep(r.sweep!);
                          setPage(0);
                        }}
                      >
                        sweep {r.sweep} · trial {r.trial ?? MISSING}
                      </a>
                    ) : null}
                  </td>
                  <td className="num">{pct(r.bestAccuracy)}</td>
                  <td className="num">{pct(r.lastAccuracy)}</td>
                  <td>
                    {r.stage ?? MISSING}
                    {epochOfEpochs(r.epoch, r.epochs)}
                  </td>
                  <td className="num">{duration(r.seconds)}</td>
                  <td>{r.backend ?? MISSING}</td>
                  <td className="mono">
                    <a
                      href="#"
                      title={`only runs of config ${r.configHash}`}
                      onClick={(e) => {
                        e.preventDefault();
                        setConfigHash(r.configHash);
                        setPage(0);
                      }}
                    >
                      {r.configHash.slice(0, 8)}
                    </a>
                  </td>
                  <td className="muted">{new Date(r.started).toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="row" style={{ marginTop: 10, justifyContent: "space-between" }}>
            <span className="muted" data-testid="runs-total">
              {total} run{total === 1 ? "" : "s"}
            </span>
            <div className="row">
              <button disabled={page === 0} onClick={() => setPage(page - 1)}>
                ← Prev
              </button>
              <span className="muted">
                page {page + 1} of {Math.max(1, Math.ceil(total / PAGE))}
              </span>
              <button disabled={(page + 1) * PAGE >= total} onClick={() => setPage(page + 1)}>
                Next →
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}
