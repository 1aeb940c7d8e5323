/**
 * TensorFlow.js as this project uses it: tfjs-core ops plus tfjs-layers, the same way the
 * `@tensorflow/tfjs` umbrella package re-exports them (we do not depend on the umbrella, so only
 * one tfjs-core, pinned at 4.22.0, is ever loaded). The `cpu` backend is always registered;
 * `backend/` registers and selects the others.
 */
import "@tensorflow/tfjs-backend-cpu";
// Types of the chained ops only; the methods themselves are defined by tf-chained.ts.
import type {} from "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";
import { registerChainedOps } from "./tf-chained";

registerChainedOps();

export * from "@tensorflow/tfjs-core";
export * from "@tensorflow/tfjs-layers";
