/**
 * ASHA vs random search on a synthetic task, over many seeds: does ASHA reach the best objective
 * random search finds, and after how many epochs? The task is simulated (no training), so the line
 * costs a second and can run many seeds; the scheduling is the sweep's own: the trials are
 * `drawTrial(seed, i)` (what `tessera sweep` draws), promotions are `ashaPromotion` (the rule the
 * driver uses, shared/src/sweep/asha.ts), and `parallel` workers take the next job whenever one
 * frees up (a promotion first, else the next new trial), as runner/src/sweep/drive.ts does.
 *
 * The synthetic objective, fixed before any result was looked at (and not tuned since): validation
 * accuracy of a head-LR trial after e epochs,
 *   acc(e) = plateau(lr) - (plateau(lr) - 0.05) * exp(-e * speed(lr)) + noise,
 * where the plateau peaks at lr = 1e-3 and falls off with |log10(lr / 1e-3)| (0.95 at the peak),
 * speed grows with the LR (large LRs learn fast and plateau lower: the rank crossing that makes
 * early stopping hard), and the noise is N(0, 0.02) per (trial, epoch), the spread of a 20-image
 * validation set. Random search runs every trial to the end; epochs are counted in the order the
 * jobs finish, until a result reaches random search's best final objective.
 *
 *   pnpm exec tsx bench/asha-synthetic.ts [--seeds 25] [--noise 0.02]
 */
import { parseArgs } from "node:util";
import { ashaPromotion, ashaRungs, drawTrial, type RungResult } from "../shared/src";

const { values: o } = parseArgs({
  options: { seeds: { type: "string", default: "25" }, noise: { type: "string", default: "0.02" } },
});
const SEEDS = Number(o.seeds);
/** `--noise 0`: a diagnostic (is a miss the noise in random search's max, or the rank crossing?). */
const NOISE = Number(o.noise);
const PARAMS = { lr: { log_uniform: [1e-4, 1e-2] as [number, number] } };

/** A deterministic N(0, 1) from integers (Box-Muller on two hashed uniforms). */
function gauss(...keys: number[]): number {
  let h = 2166136261;
  for (const k of keys) h = Math.imul(h ^ (k + 0x9e3779b9), 16777619) >>> 0;
  const u1 = ((Math.imul(h, 2654435761) >>> 0) + 1) / 4294967297;
  const u2 = ((Math.imul(h ^ 0x85ebca6b, 2246822519) >>> 0) + 1) / 4294967297;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

function accuracy(lr: number, epoch: number, seed: number, trial: number): number {
  const off = Math.abs(Math.log10(lr / 1e-3));
  const plateau = 0.95 - 0.3 * off * off;
  const speed = 0.6 * Math.pow(lr / 1e-3, 0.5);
  const acc = plateau - (plateau - 0.05) * Math.exp(-epoch * speed) + NOISE * gauss(seed, trial, epoch);
  return Math.min(1, Math.max(0, acc));
}

interface Setting {
  trials: number;
  epochs: number;
  min: number;
  reduction: number;
  parallel: number;
}

/** A finished job: trial, epochs it trained, the objective it reported, at what time it finished. */
interface Done {
  trial: number;
  trained: number;
  value: number;
  time: number;
}

/** Simulates `parallel` workers; `next` gives a job when a worker frees up (null: none now). */
function simulate(
  parallel: number,
  next: (running: Set<number>, done: Done[]) => { trial: number; from: number; to: number } | null,
  value: (trial: number, epochs: number) => number,
): Done[] {
  const done: Done[] = [];
  const busy: { trial: number; from: number; to: number; end: number }[] = [];
  let now = 0;
  for (;;) {
    while (busy.length < parallel) {
      const job = next(new Set(busy.map((b) => b.trial)), done);
      if (!job) break;
      busy.push({ ...job, end: now + (job.to - job.from) });
    }
    if (busy.length === 0) return done;
    busy.sort((a, b) => a.end - b.end || a.trial - b.trial);
    const first = busy.shift()!;
    now = first.end;
    done.push({ trial: first.trial, trained: first.to - first.from, value: value(first.trial, first.to), time: now });
  }
}

function run(seed: number, s: Setting) {
  const lrs = Array.from({ length: s.trials }, (_, i) => drawTrial(PARAMS, seed, i).lr as number);
  const value = (trial: number, epochs: number) => accuracy(lrs[trial]!, epochs, seed, trial);
  let drawn = 0;
  const random = simulate(
    s.parallel,
    () => (drawn < s.trials ? { trial: drawn++, from: 0, to: s.epochs } : null),
    value,
  );
  const target = Math.max(...random.map((d) => d.value));
  const rungs = ashaRungs(s.min, s.reduction, s.epochs);
  const reached = new Map<number, number>(); // trial -> rung index reached
  let started = 0;
  const asha = simulate(
    s.parallel,
    (running, done) => {
      const results: RungResult[] = done.map((d) => ({
        trial: d.trial,
        rung: rungs.indexOf(
          done.filter((x) => x.trial === d.trial && x.time <= d.time).reduce((n, x) => n + x.trained, 0),
        ),
        value: d.value,
      }));
      const up = ashaPromotion(results, running, { rungs: rungs.length, reduction: s.reduction, mode: "max" });
      if (up) {
        reached.set(up.trial, up.to);
        return { trial: up.trial, from: rungs[up.from]!, to: rungs[up.to]! };
      }
      if (started >= s.trials) return null;
      reached.set(started, 0);
      return { trial: started++, from: 0, to: rungs[0]! };
    },
    value,
  );
  const spentUntil = (done: Done[]) => {
    let spent = 0;
    for (const d of done) {
      spent += d.trained;
      if (d.value >= target) return spent;
    }
    return null;
  };
  return {
    random: spentUntil(random)!,
    asha: spentUntil(asha),
    ashaTotal: asha.reduce((n, d) => n + d.trained, 0),
    ashaBest: Math.max(...asha.map((d) => d.value)),
    target,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

console.log(
  `ASHA vs random search, synthetic head-LR task (simulated curves, noise ${NOISE}; see the file comment), ${SEEDS} seeds`,
);
for (const s of [
  { trials: 8, epochs: 4, min: 1, reduction: 2, parallel: 2 }, // the Kimia bench's shape
  { trials: 24, epochs: 9, min: 1, reduction: 3, parallel: 2 },
  { trials: 27, epochs: 27, min: 1, reduction: 3, parallel: 4 },
] satisfies Setting[]) {
  const runs = Array.from({ length: SEEDS }, (_, i) => run(i + 1, s));
  const hit = runs.filter((r) => r.asha !== null);
  const gap = median(runs.filter((r) => r.asha === null).map((r) => r.target - r.ashaBest));
  console.log(
    `  ${s.trials} trials x ${s.epochs} epochs, min ${s.min}, reduction ${s.reduction}, parallel ${s.parallel}: ` +
      `random reaches its best after a median ${median(runs.map((r) => r.random))} epochs (${s.trials * s.epochs} in all); ` +
      `ASHA reaches it in ${hit.length}/${SEEDS} seeds, after a median ${median(hit.map((r) => r.asha!))} epochs where it does ` +
      `(${median(runs.map((r) => r.ashaTotal))} in all); where it does not, its best is a median ${Number.isNaN(gap) ? "-" : gap.toFixed(3)} below`,
  );
}
