/** What the activation cache records in a run folder (no tfjs import: `tessera show` reads it). */
import { RUN_FILES } from "@tessera/shared";

/** File in the run folder listing what was cached, per stage (and fold). */
export const ACTIVATION_CACHE_FILE = RUN_FILES.activationCache;

/** What was cached for one stage: recorded in the run folder. */
export interface ActivationCacheRecord {
  stage: string;
  fold: number | null;
  cached_groups: string[];
  cut_layer: string;
  pooled: boolean;
  views: number;
  items: number;
  /** Rows of the store (every item of the data set x views; shared by the run's folds). */
  rows: number;
  /** Rows this stage computed (lazily, when first needed). */
  filled_rows: number;
  /** Rows this stage read that an earlier stage or fold had computed (absent in older runs). */
  reused_rows?: number;
  row_shape: number[];
  bytes: number;
  storage: "memory" | "disk";
  /** Seconds spent computing prefix outputs. */
  seconds: number;
  /**
   * What computed this stage's rows: `onnxruntime-cpu` or `tfjs-<backend>`; null when every row
   * came from an earlier stage, fold or process (absent in older runs).
   */
  engine?: string | null;
  /** Of `seconds`, the part spent opening the engine (ONNX: converting the prefix in memory, loading it). */
  engine_open_seconds?: number;
  /** Why ONNX Runtime was wanted but tfjs computed the rows (the line the run printed). */
  engine_fallback?: string;
}
