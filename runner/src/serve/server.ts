/**
 * The predict server (fastify): `POST /predict`, `GET /health`, `GET /model`. Loopback by
 * default; binding another address needs a token, and with a token every request must carry it
 * (`Authorization: Bearer <token>`), as for the dashboard. Every failure is answered with a
 * status and a JSON `{ error }` naming the problem; none of them stops the server.
 */
import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import multipart from "@fastify/multipart";
import { isLoopbackHost } from "./loopback";
import { Batcher, QueueFullError, type BatchOptions, type BatchTiming } from "./batcher";
import type { Engine } from "./engine";
import { decodeImage, HttpError, readImages, type InputLimits } from "./inputs";

/** Options of {@link createServer}. */
export interface ServerOptions extends BatchOptions, Partial<InputLimits> {
  /** Required on every request when set (and required to bind a non-loopback host). */
  token?: string | null;
  /** Classes listed in `top`. @default 5 */
  topK?: number;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Builds the app (not listening yet): tests inject, `startServer` listens. */
export function createServer(
  engine: Engine,
  opts: ServerOptions = {},
): { app: FastifyInstance; batcher: Batcher<Uint8Array, Float32Array> } {
  const limits: InputLimits = {
    maxImageBytes: opts.maxImageBytes ?? 20 * 1024 * 1024,
    maxImages: opts.maxImages ?? 64,
    maxPixels: opts.maxPixels ?? 50_000_000,
    allowRoot: opts.allowRoot ?? null,
  };
  const topK = Math.min(opts.topK ?? 5, engine.classes.length);
  const token = opts.token ?? null;
  const batcher = new Batcher<Uint8Array, Float32Array>((tiles) => engine.infer(tiles), opts);
  const app = Fastify({ bodyLimit: limits.maxImageBytes * Math.min(limits.maxImages, 4) + 1024 * 1024 });
  void app.register(multipart, { limits: { fileSize: limits.maxImageBytes, files: limits.maxImages } });
  app.addContentTypeParser(/^image\/|^application\/octet-stream/, { parseAs: "buffer" }, (_req, body, done) =>
    done(null, body),
  );

  app.addHook("onRequest", async (req, reply) => {
    if (!token) return;
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (given === undefined || !same(given, token))
      return reply
        .code(401)
        .header("www-authenticate", "Bearer")
        .send({ error: "missing or wrong token (send Authorization: Bearer <token>)" });
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, _req, reply) => {
    const status =
      error instanceof HttpError ? error.status : error instanceof QueueFullError ? 503 : (error.statusCode ?? 500);
    if (status === 503) void reply.header("retry-after", "1");
    if (status >= 500 && status !== 503) app.log.error(error);
    const message =
      status === 413 && !(error instanceof HttpError) ? `request too large: ${error.message}` : error.message;
    return reply.code(status).send({ error: message });
  });

  app.get("/health", async () => ({ status: "ok", engine: engine.name, waiting: batcher.waiting }));
  app.get("/model", async () => ({
    engine: engine.name,
    classes: engine.classes,
    input: { size: engine.size, resize: engine.resize, normalize: engine.normalize },
    batching: { max_batch: batcher.maxBatch, max_wait_ms: batcher.maxWaitMs, max_queue: batcher.maxQueue },
    provenance: engine.provenance,
  }));

  app.post("/predict", async (req) => {
    const t0 = performance.now();
    const images = await readImages(req, limits);
    const tiles = await Promise.all(images.map((im) => decodeImage(im, engine.size, engine.resize, limits.maxPixels)));
    const t1 = performance.now();
    const results = await Promise.all(batcher.submitAll(tiles));
    const timing: BatchTiming[] = results.map((r) => r.timing);
    return {
      engine: engine.name,
      predictions: results.map(({ output }, i) => {
        const order = Array.from(output.keys()).sort((a, b) => output[b]! - output[a]!);
        return {
          name: images[i]!.name,
          label: engine.classes[order[0]!],
          probability: output[order[0]!],
          top: order.slice(0, topK).map((k) => ({ class: engine.classes[k], probability: output[k] })),
          probabilities: Object.fromEntries(engine.classes.map((c, k) => [c, output[k]])),
        };
      }),
      timing: {
        decode_ms: t1 - t0,
        queue_ms: Math.max(...timing.map((t) => t.queue_ms)),
        infer_ms: Math.max(...timing.map((t) => t.infer_ms)),
        batch_sizes: timing.map((t) => t.batch_size),
        total_ms: performance.now() - t0,
      },
    };
  });
  return { app, batcher };
}

/** Listens on `host:port` (port 0 picks a free one); refuses a non-loopback host without a token. */
export async function startServer(
  engine: Engine,
  opts: ServerOptions & { host?: string; port?: number },
): Promise<{ url: string; app: FastifyInstance }> {
  const host = opts.host ?? "127.0.0.1";
  if (!isLoopbackHost(host) && !opts.token)
    throw new HttpError(400, `--host ${host}: serving beyond loopback needs --token (or TESSERA_TOKEN)`);
  const { app } = createServer(engine, opts);
  const address = await app.listen({ host, port: opts.port ?? 8080 });
  return { url: address, app };
}
