"use client";
/**
 * The Run page: live progress, curves, LR schedule and LR-finder sweeps, confusion matrix,
 * top losses, resolved config and meta. Events stream over one SSE subscription; they are
 * folded into mutable series and the charts redraw at most once per animation frame.
 */
import { skipToken, useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "../lib/trpc";
import { RunState } from "../lib/runState";
import { duration, MISSING, pct } from "../lib/format";
import { AccuracyChart, LossChart, LrChart } from "./RunCharts";
import { LrFindChart } from "./LrFindChart";
import { ConfusionCard } from "./ConfusionCard";
import { RunMetaCard } from "./RunMetaCard";
import { confusionTitle, liveEpochBatch } from "../lib/epochs";

export function RunView({ id }: { id: string }) {
  const trpc = useTRPC();
  const state = useRef(new RunState()).current;
  const [version, setVersion] = useState(0);
  const frame = useRef<number | null>(null);
  useEffect(() => () => void (frame.current !== null && cancelAnimationFrame(frame.current)), []);

  const detail = useQuery({
    ...trpc.runs.get.queryOptions({ id }),
    refetchInterval: (q) => (q.state.data?.row?.status === "running" ? 5000 : false),
  });
  // the backlog in one response, then live events from where it ended
  const backlog = useQuery({
    ...trpc.runs.backlog.queryOptions({ id }),
    staleTime: Infinity,
    refetchOnMount: false,
    gcTime: 0,
  });
  const [from, setFrom] = useState<number | null>(null);
  useEffect(() => {
    if (!backlog.data || from !== null) return;
    for (const e of backlog.data.events) state.apply(e);
    setFrom(backlog.data.lastSeq);
    setVersion((v) => v + 1);
  }, [backlog.data, from, state]);
  const sub = useSubscription(
    trpc.runs.events.subscriptionOptions(from === null ? skipToken : { id, lastEventId: String(from) }, {
      onData: (tracked) => {
        state.apply(tracked.data);
        // lets bench/dashboard.ts time append -> browser without instrumenting the app further
        window.dispatchEvent(new CustomEvent("tessera:event", { detail: tracked.data.seq }));
        frame.current ??= requestAnimationFrame(() => {
          frame.current = null;
          setVersion((v) => v + 1);
        });
      },
    }),
  );

  if (detail.error) return <p className="error">{detail.error.message}</p>;
  if (backlog.error) return <p className="error">{backlog.error.message}</p>;
  // Charts are created over the full backlog: chart.js observes pushes on its data arrays, and
  // 100k single pushes into a live chart cost seconds where one creation costs milliseconds.
  if (from === null) return <p className="muted">Loading {id}…</p>;
  if (!detail.data) return <p className="muted">Loading run {id}…</p>;
  const { meta, summary, plan, topLosses, configYaml } = detail.data;
  // meta.json is final once the run ends; while it runs, the events are fresher
  const status = meta.status !== "running" ? meta.status : (state.status ?? meta.status);
  const stage = state.stages.at(-1);
  const stageIndex = stage ? plan.findIndex((p) => p.name === stage.name) : -1;
  const laterEpochs = stageIndex >= 0 ? plan.slice(stageIndex + 1).reduce((a, s) => a + s.epochs, 0) : 0;
  const stepsLeft = state.stepsLeft(laterEpochs);
  const perStep = state.secondsPerStep();
  const doneSteps = state.batchLoss.length;
  const total = stepsLeft !== null ? doneSteps + stepsLeft : null;
  const inStage = stage ? doneSteps - stage.x : 0;
  const live = stage ? liveEpochBatch(inStage, stage.stepsPerEpoch, stage.epochs) : null;
  const epochInStage = live?.epoch ?? null;
  const batchInEpoch = live?.batch ?? null;
  const last = state.lastEpoch;

  return (
    <>
      <div className="row" style={{ justifyContent: "space-between" }}>
        <div>
          <h1>
            {meta.name}{" "}
            <span className={`badge ${status}`} data-testid="run-status">
              {status}
            </span>{" "}
            {status === "running" && detail.data.row?.stale ? (
              <span className="badge interrupted" title={`continue it with: pnpm tessera run --resume ${id}`}>
                stale: its process is gone
              </span>
            ) : null}
          </h1>
          <div className="muted mono">{id}</div>
        </div>
        <div className="muted" data-testid="stream-state">
          {status === "running"
            ? { idle: "not streaming", connecting: "connecting…", pending: "● live", error: "reconnecting…" }[
                sub.status
              ]
            : null}
        </div>
      </div>
      <div className="card" style={{ marginTop: 12 }}>
        <div className="stats" data-testid="progress">
          <div className="stat">
            <b>
              {stage ? `${stage.label} (${stage.index + 1}/${Math.max(plan.length, state.stages.length)})` : MISSING}
            </b>
            <span>stage</span>
          </div>
          <div className="stat">
            <b>{epochInStage !== null && stage ? `${epochInStage}/${stage.epochs}` : MISSING}</b>
            <span>epoch</span>
          </div>
          <div className="stat">
            <b>{batchInEpoch !== null && stage ? `${batchInEpoch}/${stage.stepsPerEpoch}` : MISSING}</b>
            <span>batch</span>
          </div>
          <div className="stat">
            <b>{pct(last?.valid_accuracy)}</b>
            <span>last valid acc</span>
          </div>
          <div className="stat">
            <b>{pct(state.accuracy.length ? Math.max(...state.accuracy.map((p) => p.y)) : summary?.best?.value)}</b>
            <span>best valid acc</span>
          </div>
          <div className="stat">
            <b>{status === "running" && perStep !== null && stepsLeft ? duration(perStep * stepsLeft) : MISSING}</b>
            <span>ETA</span>
          </div>
        </div>
        {state.lrFindLive ? (
          <>
            <p className="muted" data-testid="lr-find-progress">
              LR finder · {state.lrFindLive.stage}: step {state.lrFindLive.step}/{state.lrFindLive.steps}, lr{" "}
              {state.lrFindLive.lr.toExponential(1)}, loss {state.lrFindLive.smoothed.toFixed(4)}
            </p>
            <div className="progress">
              <div style={{ width: `${(100 * state.lrFindLive.step) / state.lrFindLive.steps}%` }} />
            </div>
          </>
        ) : total ? (
          <div className="progress">
            <div style={{ width: `${(100 * doneSteps) / total}%` }} />
          </div>
        ) : null}
        {state.error ? <p className="error">Failed: {state.error}</p> : null}
      </div>

      <div className="grid">
        <div className="card">
          <h2>Loss</h2>
          <LossChart state={state} version={version} />
        </div>
        <div className="card">
          <h2>Validation accuracy</h2>
          <AccuracyChart state={state} version={version} />
        </div>
        <div className="card">
          <h2>Learning rate per layer group</h2>
          <LrChart state={state} version={version} />
        </div>
        {state.lrFinds.map((find, i) => (
          <div className="card" key={`${find.stage}-${i}`}>
            <h2>LR finder · {find.stage}</h2>
            <LrFindChart find={find} />
          </div>
        ))}
        {last && state.classes.length ? (
          <ConfusionCard
            title={confusionTitle(last)}
            matrix={last.confusion}
            classes={state.classes}
            perClass={last.per_class}
            version={version}
          />
        ) : null}
        {topLosses.length ? (
          <div className="card wide">
            <h2>Top losses</h2>
            <div className="thumbs">
              {topLosses.map((t) => (
                <figure key={t.file}>
                  <img
                    src={`/api/runs/${encodeURIComponent(id)}/files/top_losses/${t.file.replace(/^.*\//, "")}`}
                    alt={t.file}
                  />
                  <figcaption>
                    {t.actual !== undefined ? `${t.actual} → ${t.predicted}` : t.file}
                    {t.loss !== undefined ? ` · loss ${t.loss.toFixed(2)}` : ""}
                    {t.probability !== undefined ? ` · p ${t.probability.toFixed(2)}` : ""}
                  </figcaption>
                </figure>
              ))}
            </div>
          </div>
        ) : null}
        <RunMetaCard meta={meta} configYaml={configYaml} />
      </div>
    </>
  );
}
