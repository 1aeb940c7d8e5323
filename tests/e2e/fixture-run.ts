/**
 * Writes run folders in the run store's exact format (DESIGN.md "run store" + "Events",
 * shared/src/events.ts) for dashboard tests and the dashboard bench: meta.json, config.yaml,
 * events.jsonl appended line by line, summary.json, top-loss thumbnails.
 */
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import {
  FORMAT,
  RUN_FILES,
  type EventOf,
  type RunEvent,
  type RunEventBody,
  type RunMeta,
  type RunSummary,
} from "@tessera/shared";

/** Appends events to one run folder, numbering them like the runner does. */
export class FixtureRun {
  seq = 0;
  readonly dir: string;
  constructor(
    readonly root: string,
    readonly id: string,
    readonly meta: Partial<RunMeta> = {},
    readonly configYaml = "name: fixture\nseed: 1\n",
  ) {
    this.dir = join(root, id);
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(join(this.dir, RUN_FILES.config), configYaml);
    // held like the runner holds it, so the dashboard sees a live writer
    writeFileSync(
      join(this.dir, RUN_FILES.lock),
      JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }),
    );
    this.writeMeta({});
  }

  writeMeta(patch: Partial<RunMeta>): void {
    const meta: RunMeta = {
      format: FORMAT,
      id: this.id,
      name: "fixture",
      config_hash: "c0ffee00",
      data_hash: "da7a0000",
      split_hash: null,
      seed: 1,
      status: "running",
      started: new Date(Date.now() - 60_000).toISOString(),
      ended: null,
      backend: { name: "cpu", version: "4.22.0", threads: null, device: null },
      versions: { "@tensorflow/tfjs-core": "4.22.0" },
      git_commit: null,
      host: "test",
      skipped_images: 0,
      attempt: 1,
      ...this.meta,
      ...patch,
    };
    Object.assign(this.meta, patch);
    writeFileSync(join(this.dir, RUN_FILES.meta), `${JSON.stringify(meta, null, 2)}\n`);
  }

  /** The last `epoch` event appended, for building a summary. */
  lastEpoch: EventOf<"epoch"> | null = null;

  append(body: RunEventBody): RunEvent {
    const event = { format: FORMAT, seq: this.seq++, time: new Date().toISOString(), attempt: 1, ...body } as RunEvent;
    if (event.type === "epoch") this.lastEpoch = event;
    appendFileSync(join(this.dir, RUN_FILES.events), `${JSON.stringify(event)}\n`);
    return event;
  }

  /** Drops the lock, as the runner does when the run ends. */
  release(): void {
    rmSync(join(this.dir, RUN_FILES.lock), { force: true });
  }

  writeSummary(summary: RunSummary): void {
    writeFileSync(join(this.dir, RUN_FILES.summary), JSON.stringify(summary));
  }
}

/** A tiny valid grey PNG (w x h), to stand in for a top-loss thumbnail. */
export function tinyPng(w = 8, h = 8, grey = 128): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const raw = Buffer.alloc((w + 1) * h, grey);
  for (let y = 0; y < h; y++) raw[y * (w + 1)] = 0; // filter byte
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
