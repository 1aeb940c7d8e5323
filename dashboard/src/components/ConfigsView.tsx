"use client";
/** The configs folder: each experiment file, its YAML, and the runner's validation of it. */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../lib/trpc";

export function ConfigsView() {
  const trpc = useTRPC();
  const list = useQuery(trpc.configs.list.queryOptions());
  const [name, setName] = useState<string | null>(null);
  const file = useQuery({ ...trpc.configs.get.queryOptions({ name: name ?? "" }), enabled: !!name });
  const check = useQuery({ ...trpc.configs.validate.queryOptions({ name: name ?? "" }), enabled: !!name });
  if (list.error) return <p className="error">{list.error.message}</p>;
  return (
    <>
      <h1>Configs</h1>
      <p className="muted mono">{list.data?.dir}</p>
      {list.data && list.data.files.length === 0 ? (
        <div className="empty">
          No experiment files here. Write one (see configs/demo.yaml in the repository), then{" "}
          <code>pnpm tessera validate &lt;file&gt;</code>.
        </div>
      ) : null}
      <div className="grid" style={{ gridTemplateColumns: "280px 1fr" }}>
        <div className="card">
          {list.data?.files.map((f) => (
            <div key={f}>
              <a
                href="#"
                onClick={(e) => (e.preventDefault(), setName(f))}
                style={{ fontWeight: f === name ? 700 : 400 }}
              >
                {f}
              </a>
            </div>
          ))}
        </div>
        <div className="card">
          {!name ? (
            <p className="muted">Pick a file to see it and validate it.</p>
          ) : (
            <>
              <h2>{name}</h2>
              {check.isFetching ? (
                <p className="muted">Validating with tessera validate…</p>
              ) : check.data ? (
                check.data.ok ? (
                  <p className="added">Valid.</p>
                ) : (
                  <pre className="error" data-testid="problems">
                    {check.data.problems.join("\n")}
                  </pre>
                )
              ) : null}
              <pre className="config">{file.data?.yaml}</pre>
            </>
          )}
        </div>
      </div>
    </>
  );
}
