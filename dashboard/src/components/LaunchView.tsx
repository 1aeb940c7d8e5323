"use client";
/**
 * The Launch page: pick a committed config, add `--set` overrides, see what `tessera plan` says
 * (or the config's problems), and enqueue it for the workers. The server validates again on
 * enqueue, so a config that changed on disk after the plan is still refused with its problems.
 */
import Link from "next/link";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../lib/trpc";

export function LaunchView() {
  const trpc = useTRPC();
  const status = useQuery(trpc.queue.status.queryOptions());
  const configs = useQuery(trpc.configs.list.queryOptions());
  const [config, setConfig] = useState("");
  const [sets, setSets] = useState<string[]>([]);
  const [priority, setPriority] = useState("");
  const plan = useMutation(trpc.queue.plan.mutationOptions());
  const enqueue = useMutation(trpc.queue.enqueue.mutationOptions());

  const request = () => ({
    config,
    sets: sets.map((s) => s.trim()).filter(Boolean),
    ...(priority.trim() ? { priority: Number(priority) } : {}),
  });
  // A plan or enqueue answer belongs to the form as it was; any edit hides it.
  const edited = () => (plan.reset(), enqueue.reset());

  if (status.data && !status.data.enabled) return <NoQueue message={status.data.message} />;
  const problems = [
    ...(plan.data && !plan.data.ok ? plan.data.problems : []),
    ...(enqueue.data && !enqueue.data.ok ? enqueue.data.problems : []),
  ];
  const failure = plan.error ?? enqueue.error;
  return (
    <>
      <h1>Launch</h1>
      <div className="card">
        <div className="row">
          <label>
            Config{" "}
            <select data-testid="config" value={config} onChange={(e) => (setConfig(e.target.value), edited())}>
              <option value="">(pick a config)</option>
              {configs.data?.files.map((f) => (
                <option key={f} value={f}>
                  {f}
                </option>
              ))}
            </select>
          </label>
          <label>
            Priority{" "}
            <input
              data-testid="priority"
              type="number"
              min={-1000}
              max={1000}
              placeholder="0"
              title="higher runs sooner (-1000 to 1000), as tessera submit --priority"
              value={priority}
              onChange={(e) => (setPriority(e.target.value), edited())}
            />
          </label>
        </div>
        <h2>--set overrides</h2>
        {sets.map((s, i) => (
          <div className="row" key={i}>
            <input
              data-testid="set"
              className="mono"
              size={50}
              placeholder="train.batch_size=16"
              value={s}
              onChange={(e) => (setSets(sets.map((x, j) => (j === i ? e.target.value : x))), edited())}
            />
            <button onClick={() => (setSets(sets.filter((_, j) => j !== i)), edited())}>Remove</button>
          </div>
        ))}
        <div className="row">
          <button data-testid="add-set" onClick={() => (setSets([...sets, ""]), edited())}>
            Add --set
          </button>
          <button data-testid="plan" disabled={!config || plan.isPending} onClick={() => plan.mutate(request())}>
            Plan
          </button>
          <button
            data-testid="enqueue"
            disabled={!config || enqueue.isPending || (plan.data !== undefined && !plan.data.ok)}
            onClick={() => enqueue.mutate(request())}
          >
            Enqueue
          </button>
        </div>
      </div>
      {failure ? <p className="error">{failure.message}</p> : null}
      {problems.length > 0 ? (
        <pre className="error" data-testid="problems">
          {problems.join("\n")}
        </pre>
      ) : null}
      {enqueue.data?.ok ? (
        <p className="added" data-testid="enqueued">
          Enqueued job {enqueue.data.jobId} (run {enqueue.data.runId}). <Link href="/queue">See the queue</Link>
        </p>
      ) : null}
      {plan.data?.ok ? (
        <div className="card">
          <h2>Plan</h2>
          <p className="muted mono">config_hash {plan.data.configHash}</p>
          <pre className="config" data-testid="plan-text">
            {plan.data.text}
          </pre>
        </div>
      ) : null}
    </>
  );
}

function NoQueue({ message }: { message: string }) {
  return (
    <>
      <h1>Launch</h1>
      <div className="empty" data-testid="no-queue">
        {message}
      </div>
    </>
  );
}
