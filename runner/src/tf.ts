/**
 * TensorFlow.js as this project uses it: tfjs-core ops plus tfjs-layers, the same way the
 * `@tensorflow/tfjs` umbrella package re-exports them (we do not depend on the umbrella, so only
 * one tfjs-core, pinned at 4.22.0, is ever loaded). The `cpu` backend is always registered;
 * `backend/` registers and selects the others.
 */
import "@tensorflow/tfjs-backend-cpu";
// Chained ops (`x.square().sum()`), as the umbrella package registers them. Best effort: these
// are extensionless ESM files that load under a bundler (vitest, Next) but not under plain Node
// (tsx, i.e. `pnpm tessera`), where a static import made every command crash on startup.
await import("@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops").catch(() => undefined);

export * from "@tensorflow/tfjs-core";
export * from "@tensorflow/tfjs-layers";
