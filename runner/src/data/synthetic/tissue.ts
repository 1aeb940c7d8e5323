/**
 * Seeded H&E-looking tissue tiles, drawn in optical-density space and turned into RGB with the
 * Beer-Lambert law and Ruifrok & Johnston's stain vectors: an eosin background with a class-
 * dependent texture, white gaps, and hematoxylin (purple) or DAB (brown) nuclei whose size,
 * density, elongation and arrangement depend on the class. Plain typed arrays: about a
 * millisecond a 96 px tile, no files.
 */
import { normal, rngFor, uniform, type Rng } from "../rng";
import { archetypeOf, type Archetype } from "./archetypes";
import { fbm, latticeHash } from "./noise";

const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
/** Stain OD vectors over (R, G, B): hematoxylin, eosin, DAB (Ruifrok & Johnston 2001). */
export const STAIN_VECTORS = {
  h: unit([0.65, 0.704, 0.286]),
  e: unit([0.072, 0.99, 0.105]),
  d: unit([0.268, 0.57, 0.776]),
} as const;

interface Nucleus {
  x: number;
  y: number;
  a: number;
  b: number;
  theta: number;
  density: number;
  dab: boolean;
}

interface Canvas {
  size: number;
  h: Float32Array;
  e: Float32Array;
  d: Float32Array;
}

/** One RGB tile (size*size*3 bytes, row-major HWC) of class `cls`, number `index`, from `seed`. */
export function renderTissue(cls: number, index: number, seed: number, size: number): Uint8Array {
  const arch = archetypeOf(cls);
  const rng = rngFor(seed, "synthetic", cls, index);
  const n = size * size;
  const canvas: Canvas = { size, h: new Float32Array(n), e: new Float32Array(n), d: new Float32Array(n) };
  const s = size / 96;
  const flow = rng() * Math.PI;
  const texSeed = Math.floor(rng() * 2 ** 30);
  paintBackground(canvas, arch, flow, texSeed, s, uniform(rng, 0.85, 1.15) * arch.eosin);
  const lumens = paintGaps(canvas, arch, rng, s);
  const nuclei = placeNuclei(
    arch,
    rng,
    s,
    size,
    flow,
    lumens,
    arch.arrangement === "fat" ? paintFat(canvas, rng, s) : null,
  );
  const hScale = uniform(rng, 0.85, 1.15) * arch.hematoxylin;
  for (const nu of nuclei) paintNucleus(canvas, nu, hScale, texSeed + 7);
  return toRgb(canvas, rngFor(seed, "synthetic-noise", cls, index));
}

function paintBackground(c: Canvas, arch: Archetype, flow: number, seed: number, s: number, eosin: number): void {
  const cos = Math.cos(flow);
  const sin = Math.sin(flow);
  const along = 12 * s * arch.fibre;
  const across = arch.fibre > 1 ? 3 * s : 12 * s;
  for (let y = 0; y < c.size; y++) {
    for (let x = 0; x < c.size; x++) {
      const u = (x * cos + y * sin) / along;
      const v = (-x * sin + y * cos) / across;
      c.e[y * c.size + x] = eosin * (0.45 + 1.1 * fbm(u, v, seed));
    }
  }
}

/** White gaps (lumens, tears): irregular discs where stain is nearly absent; returns their circles. */
function paintGaps(c: Canvas, arch: Archetype, rng: Rng, s: number): { x: number; y: number; r: number }[] {
  const count = Math.max(0, arch.gaps + Math.floor(rng() * 2) - (arch.gaps > 1 ? 1 : 0));
  const gaps = Array.from({ length: count }, () => ({
    x: rng() * c.size,
    y: rng() * c.size,
    r: uniform(rng, arch.arrangement === "rings" ? 7 : 4, arch.arrangement === "rings" ? 13 : 9) * s,
    wobble: rng() * 100,
  }));
  for (const g of gaps) {
    const reach = Math.ceil(g.r * 1.3);
    forDisc(c.size, g.x, g.y, reach, (p, dx, dy) => {
      const edge = g.r * (0.8 + 0.4 * fbm(Math.atan2(dy, dx) * 1.5 + g.wobble, 0, 3));
      const dist = Math.hypot(dx, dy);
      if (dist < edge) {
        const k = Math.min(1, (edge - dist) / (1.5 * s));
        c.e[p] = c.e[p]! * (1 - 0.93 * k);
      }
    });
  }
  return gaps;
}

/** Fat: a Voronoi honeycomb of empty cells with thin eosin walls; returns wall pixels for nuclei. */
function paintFat(c: Canvas, rng: Rng, s: number): number[] {
  const seeds = Array.from({ length: Math.round(uniform(rng, 8, 13) * s * s) }, () => [rng() * c.size, rng() * c.size]);
  const walls: number[] = [];
  for (let y = 0; y < c.size; y++) {
    for (let x = 0; x < c.size; x++) {
      let d1 = Infinity;
      let d2 = Infinity;
      for (const [sx, sy] of seeds) {
        const d = Math.hypot(x - sx!, y - sy!);
        if (d < d1) [d1, d2] = [d, d1];
        else if (d < d2) d2 = d;
      }
      const p = y * c.size + x;
      if (d2 - d1 < 1.6 * s) walls.push(p);
      else c.e[p] = c.e[p]! * 0.05;
    }
  }
  return walls;
}

function placeNuclei(
  arch: Archetype,
  rng: Rng,
  s: number,
  size: number,
  flow: number,
  lumens: { x: number; y: number; r: number }[],
  fatWalls: number[] | null,
): Nucleus[] {
  const make = (x: number, y: number, theta: number): Nucleus => {
    const a = arch.radius * s * Math.max(0.5, 1 + arch.radiusJitter * normal(rng));
    return {
      x,
      y,
      a,
      b: Math.max(0.8, a / arch.elongation),
      theta,
      density: uniform(rng, 0.8, 1.2),
      dab: rng() < arch.dab,
    };
  };
  const count = Math.round((arch.density / 1000) * size * size * uniform(rng, 0.85, 1.15));
  const out: Nucleus[] = [];
  switch (arch.arrangement) {
    case "random":
      for (let i = 0; i < count; i++) out.push(make(rng() * size, rng() * size, rng() * Math.PI));
      break;
    case "clustered": {
      const centres = Array.from({ length: 3 + Math.floor(rng() * 3) }, () => [rng() * size, rng() * size]);
      for (let i = 0; i < count; i++) {
        const [cx, cy] = rng() < 0.15 ? [rng() * size, rng() * size] : centres[Math.floor(rng() * centres.length)]!;
        out.push(make(cx! + normal(rng) * 20 * s, cy! + normal(rng) * 20 * s, rng() * Math.PI));
      }
      break;
    }
    case "stream":
      for (let i = 0; i < count; i++) {
        const x = rng() * size;
        const y = rng() * size;
        const bend = 0.35 * Math.sin((2 * Math.PI * (x * Math.cos(flow) + y * Math.sin(flow))) / (size * 1.3));
        out.push(make(x, y, flow + bend + 0.12 * normal(rng)));
      }
      break;
    case "rings":
      for (const l of lumens) {
        const ringR = l.r + arch.radius * s * 1.3;
        const steps = Math.floor((2 * Math.PI * ringR) / (arch.radius * s * 1.25));
        for (let i = 0; i < steps; i++) {
          const t = (2 * Math.PI * i) / steps + 0.1 * normal(rng);
          out.push(make(l.x + Math.cos(t) * ringR, l.y + Math.sin(t) * ringR, t));
        }
      }
      for (let i = 0; i < (1.5 / 1000) * size * size; i++) out.push(make(rng() * size, rng() * size, rng() * Math.PI));
      break;
    case "fat":
      for (let i = 0; i < count && fatWalls && fatWalls.length > 0; i++) {
        const p = fatWalls[Math.floor(rng() * fatWalls.length)]!;
        out.push(make(p % size, Math.floor(p / size), rng() * Math.PI));
      }
      break;
  }
  return out;
}

function paintNucleus(c: Canvas, nu: Nucleus, hScale: number, seed: number): void {
  const cos = Math.cos(nu.theta);
  const sin = Math.sin(nu.theta);
  forDisc(c.size, nu.x, nu.y, Math.ceil(nu.a) + 1, (p, dx, dy) => {
    const u = (dx * cos + dy * sin) / nu.a;
    const v = (-dx * sin + dy * cos) / nu.b;
    const d2 = u * u + v * v;
    if (d2 >= 1.25) return;
    const k = Math.min(1, (1.25 - d2) / 0.35);
    const tex = 0.75 + 0.5 * latticeHash(p, 0, seed);
    const od = hScale * nu.density * k * tex;
    if (nu.dab) {
      c.d[p] = Math.max(c.d[p]!, 1.6 * od);
      c.h[p] = Math.max(c.h[p]!, 0.2 * k);
    } else {
      c.h[p] = Math.max(c.h[p]!, od);
    }
    c.e[p] = c.e[p]! * (1 - 0.6 * k);
  });
}

/** Calls `fn(pixelIndex, dx, dy)` for every in-tile pixel within `reach` of (cx, cy). */
function forDisc(size: number, cx: number, cy: number, reach: number, fn: (p: number, dx: number, dy: number) => void) {
  const x0 = Math.max(0, Math.floor(cx - reach));
  const x1 = Math.min(size - 1, Math.ceil(cx + reach));
  const y0 = Math.max(0, Math.floor(cy - reach));
  const y1 = Math.min(size - 1, Math.ceil(cy + reach));
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) fn(y * size + x, x - cx, y - cy);
}

function toRgb(c: Canvas, rng: Rng): Uint8Array {
  const { h, e, d } = STAIN_VECTORS;
  const out = new Uint8Array(c.size * c.size * 3);
  for (let p = 0; p < c.h.length; p++) {
    const hp = c.h[p]!;
    const ep = c.e[p]! + 0.02;
    const dp = c.d[p]!;
    for (let ch = 0; ch < 3; ch++) {
      const od = hp * h[ch]! + ep * e[ch]! + dp * d[ch]!;
      out[p * 3 + ch] = Math.max(0, Math.min(255, Math.round(255 * Math.exp(-od) + (rng() - 0.5) * 8)));
    }
  }
  return out;
}
