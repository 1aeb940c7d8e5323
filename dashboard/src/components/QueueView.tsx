"use client";
/**
 * The Queue page: every job the queue holds, refreshed every two seconds, with Cancel for jobs that
 * have not ended and Re-run for those that have (a failed job is retried; a finished one is
 * enqueued again as a new run of the same config).
 */
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../lib/trpc";
import type { QueueJob } from "../server/cluster/launcher";

const LIVE: ReadonlySet<QueueJob["state"]> = new Set(["waiting", "prioritized", "delayed", "active"]);

export function QueueView() {
  const trpc = useTRPC();
  const client = useQueryClient();
  const status = useQuery(trpc.queue.status.queryOptions());
  const enabled = status.data?.enabled === true;
  const jobs = useQuery({ ...trpc.queue.list.queryOptions(), enabled, refetchInterval: 2000 });
  const refresh = () => client.invalidateQueries({ queryKey: trpc.queue.list.queryKey() });
  const cancel = useMutation(trpc.queue.cancel.mutationOptions({ onSettled: refresh }));
  const rerun = useMutation(trpc.queue.rerun.mutationOptions({ onSettled: refresh }));

  if (status.data && !enabled)
    return (
      <>
        <h1>Queue</h1>
        <div className="empty" data-testid="no-queue">
          {status.data.message}
        </div>
      </>
    );
  const said = cancel.data ?? rerun.data;
  const failure = jobs.error ?? cancel.error ?? rerun.error;
  return (
    <>
      <h1>Queue</h1>
      <p className="muted">
        <Link href="/launch">Launch a run</Link> · jobs refresh every 2 s
      </p>
      {failure ? <p className="error">{failure.message}</p> : null}
      {said ? (
        <p className={said.ok ? "added" : "error"} data-testid="action-message">
          {said.message}
        </p>
      ) : null}
      {jobs.data && jobs.data.length === 0 ? (
        <div className="empty">The queue is empty.</div>
      ) : (
        <div className="table-wrap">
          <table className="runs">
            <thead>
              <tr>
                <th>Job</th>
                <th>Run</th>
                <th>State</th>
                <th>Priority</th>
                <th>Attempts</th>
                <th>Worker</th>
                <th>Sweep</th>
                <th>Enqueued</th>
                <th>Error</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {jobs.data?.map((j) => (
                <tr key={j.jobId} data-job={j.jobId} data-run={j.runId} data-state={j.state}>
                  <td className="mono">{j.jobId}</td>
                  <td>
                    <Link href={`/runs/${encodeURIComponent(j.runId)}`}>{j.runId}</Link>
                    <div className="muted">{j.name}</div>
                  </td>
                  <td>
                    <span className={`badge ${badge(j.state)}`}>{j.state}</span>
                  </td>
                  <td>{j.priority || "-"}</td>
                  <td>{j.attempts}</td>
                  <td>{j.worker ?? "-"}</td>
                  <td>{j.sweep ? `${j.sweep.id} #${j.sweep.trial}` : "-"}</td>
                  <td>{new Date(j.enqueuedAt).toLocaleString()}</td>
                  <td className="error">{j.error ?? ""}</td>
                  <td>
                    {LIVE.has(j.state) ? (
                      <button data-testid="cancel" onClick={() => cancel.mutate({ jobId: j.jobId })}>
                        Cancel
                      </button>
                    ) : (
                      <button data-testid="rerun" onClick={() => rerun.mutate({ jobId: j.jobId })}>
                        Re-run
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** The run badges' colours for job states (same meaning: running, done, broken). */
function badge(state: QueueJob["state"]): string {
  if (state === "active") return "running";
  if (state === "completed") return "finished";
  if (state === "failed") return "failed";
  return "interrupted";
}
