"use client";
/** The latest confusion matrix with a counts/normalised toggle, the most-confused pairs and per-class scores. */
import { useState } from "react";
import type { PerClass } from "@tessera/shared";
import { MatrixChart, type MatrixMode } from "./MatrixChart";
import { pct } from "../lib/format";

/** Off-diagonal cells, largest first: which true class is taken for which. */
export function mostConfused(m: number[][], classes: string[], top = 6) {
  const pairs: { actual: string; predicted: string; count: number }[] = [];
  m.forEach((row, i) =>
    row.forEach((count, j) => {
      if (i !== j && count > 0)
        pairs.push({ actual: classes[i] ?? String(i), predicted: classes[j] ?? String(j), count });
    }),
  );
  return pairs.sort((a, b) => b.count - a.count).slice(0, top);
}

export function ConfusionCard(props: {
  matrix: number[][];
  classes: string[];
  perClass: PerClass[];
  version: number;
  title: string;
}) {
  const [mode, setMode] = useState<MatrixMode>("counts");
  const pairs = mostConfused(props.matrix, props.classes);
  return (
    <>
      <div className="card">
        <div className="row" style={{ justifyContent: "space-between" }}>
          <h2>{props.title}</h2>
          <div className="row">
            {(["counts", "normalised"] as const).map((m) => (
              <label key={m}>
                <input type="radio" name="cm-mode" checked={mode === m} onChange={() => setMode(m)} /> {m}
              </label>
            ))}
          </div>
        </div>
        <MatrixChart
          matrix={props.matrix}
          classes={props.classes}
          mode={mode}
          version={props.version}
          testId="confusion"
        />
      </div>
      <div className="card">
        <h2>Most confused</h2>
        {pairs.length === 0 ? (
          <p className="muted">No confusions in the latest validation.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>True</th>
                <th>Predicted as</th>
                <th className="num">Count</th>
              </tr>
            </thead>
            <tbody>
              {pairs.map((p) => (
                <tr key={`${p.actual}-${p.predicted}`}>
                  <td>{p.actual}</td>
                  <td>{p.predicted}</td>
                  <td className="num">{p.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2 style={{ marginTop: 16 }}>Per class</h2>
        <div className="table-wrap" style={{ maxHeight: 300, overflowY: "auto" }}>
          <table data-testid="per-class">
            <thead>
              <tr>
                <th>Class</th>
                <th className="num">Precision</th>
                <th className="num">Recall</th>
                <th className="num">F1</th>
                <th className="num">Support</th>
              </tr>
            </thead>
            <tbody>
              {props.perClass.map((c) => (
                <tr key={c.class}>
                  <td>{c.class}</td>
                  <td className="num">{pct(c.precision)}</td>
                  <td className="num">{pct(c.recall)}</td>
                  <td className="num">{pct(c.f1)}</td>
                  <td className="num">{c.support}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </div>
    </>
  );
}
