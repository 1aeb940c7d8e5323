/**
 * Where cached activations live: in a JS Float32Array (outside the wasm heap and its 4 GiB cap)
 * when they fit `maxMemoryBytes`, else in a file read back row by row. Rows are fixed-length
 * float32 vectors; a batch is gathered into one Float32Array that becomes one tensor.
 */
import { closeSync, mkdirSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";

/** Default memory budget before the store spills to disk: 1 GiB. */
export const DEFAULT_MAX_MEMORY_BYTES = 1024 ** 3;

export class ActivationStore {
  readonly bytes: number;
  readonly storage: "memory" | "disk";
  readonly file: string | null;
  private memory: Float32Array | null = null;
  private fd: number | null = null;

  constructor(
    readonly rows: number,
    readonly rowLength: number,
    opts: { maxMemoryBytes?: number; spillDir?: string } = {},
  ) {
    this.bytes = rows * rowLength * 4;
    if (this.bytes <= (opts.maxMemoryBytes ?? DEFAULT_MAX_MEMORY_BYTES) || !opts.spillDir) {
      this.storage = "memory";
      this.file = null;
      this.memory = new Float32Array(rows * rowLength);
    } else {
      this.storage = "disk";
      mkdirSync(opts.spillDir, { recursive: true });
      this.file = join(opts.spillDir, `activations-${process.pid}-${Date.now()}.f32`);
      this.fd = openSync(this.file, "w+");
    }
  }

  /** Stores `values` (a whole number of rows) from row `first` on. */
  write(first: number, values: Float32Array): void {
    if (values.length % this.rowLength !== 0 || first + values.length / this.rowLength > this.rows) {
      throw new RangeError(`internal: activation rows ${first}+${values.length / this.rowLength} out of ${this.rows}`);
    }
    if (this.memory) this.memory.set(values, first * this.rowLength);
    else
      writeSync(
        this.fd!,
        new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
        0,
        values.byteLength,
        first * this.rowLength * 4,
      );
  }

  /** The given rows, concatenated, as one Float32Array. */
  gather(rows: number[]): Float32Array {
    const out = new Float32Array(rows.length * this.rowLength);
    rows.forEach((row, i) => {
      if (row < 0 || row >= this.rows) throw new RangeError(`internal: activation row ${row} out of ${this.rows}`);
      if (this.memory) {
        out.set(this.memory.subarray(row * this.rowLength, (row + 1) * this.rowLength), i * this.rowLength);
      } else {
        const bytes = this.rowLength * 4;
        readSync(this.fd!, new Uint8Array(out.buffer, i * bytes, bytes), 0, bytes, row * bytes);
      }
    });
    return out;
  }

  /** Frees the memory or deletes the file. */
  dispose(): void {
    this.memory = null;
    if (this.fd !== null) {
      closeSync(this.fd);
      this.fd = null;
      rmSync(this.file!, { force: true });
    }
  }
}
