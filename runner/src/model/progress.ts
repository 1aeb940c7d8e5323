/** Progress bars on stderr for weight downloads (cli-progress; silent when stderr is no TTY). */
import cliProgress from "cli-progress";

/** A bar over named steps (`npm pack` gives no byte progress). */
export function stepProgress(label: string, steps: string[]): { next(): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {step}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let i = 0;
  bar.start(steps.length, 0, { step: steps[0] ?? "" });
  return {
    next() {
      bar.update(i, { step: steps[i] ?? "done" });
      i++;
    },
    stop() {
      bar.update(steps.length, { step: "done" });
      bar.stop();
    },
  };
}

/** A bar over bytes, for downloads with a known (or growing) total. */
export function byteProgress(label: string): { add(bytes: number, total?: number): void; stop(): void } {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {mb}/{totalMb} MB`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let done = 0;
  let total = 0;
  bar.start(1, 0, { mb: "0.0", totalMb: "?" });
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return {
    add(bytes, more) {
      done += bytes;
      if (more) total += more;
      bar.setTotal(Math.max(total, done, 1));
      bar.update(done, { mb: mb(done), totalMb: total ? mb(total) : "?" });
    },
    stop() {
      bar.stop();
    },
  };
}
