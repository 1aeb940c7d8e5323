"use client";
/** The resolved config exactly as it ran, and the run's meta (versions, backend, seed, hashes). */
import type { RunMeta } from "@tessera/shared";
import { MISSING } from "../lib/format";

export function RunMetaCard({ meta, configYaml }: { meta: RunMeta; configYaml: string }) {
  const rows: [string, string][] = [
    ["config hash", meta.config_hash],
    ["data hash", meta.data_hash ?? MISSING],
    ["split hash", meta.split_hash ?? MISSING],
    ["seed", String(meta.seed)],
    [
      "backend",
      meta.backend
        ? `${meta.backend.name} ${meta.backend.version}${meta.backend.threads ? ` · ${meta.backend.threads} threads` : ""}${meta.backend.device ? ` · ${meta.backend.device}` : ""}`
        : MISSING,
    ],
    ["started", new Date(meta.started).toLocaleString()],
    ["ended", meta.ended ? new Date(meta.ended).toLocaleString() : MISSING],
    ["attempt", String(meta.attempt)],
    ["git commit", meta.git_commit ?? MISSING],
    ["host", meta.host],
    ["skipped images", String(meta.skipped_images)],
    ...Object.entries(meta.versions).map(([k, v]): [string, string] => [k, v]),
  ];
  return (
    <>
      <div className="card">
        <h2>Resolved config</h2>
        <pre className="config" data-testid="config">
          {configYaml || "config.yaml is missing"}
        </pre>
      </div>
      <div className="card">
        <h2>Meta</h2>
        <table className="meta">
          <tbody>
            {rows.map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td className="mono">{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
