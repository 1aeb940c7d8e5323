/**
 * Tissue archetypes of the synthetic set, in pixels of a 96 px reference tile (scaled with the tile
 * size). Classes 0..7 are these; classes 8.. are variants of class `c % 8`, deliberately close to
 * it. Classes 2 and 3 (tumour, and a dysplasia with smaller, darker, more elongated nuclei) are a close
 * pair on purpose, as Kimia's A and D are.
 */
export type Arrangement = "random" | "clustered" | "stream" | "rings" | "fat";

export interface Archetype {
  name: string;
  /** Nucleus semi-major radius (px at 96 px) and its relative spread. */
  radius: number;
  radiusJitter: number;
  /** Ratio of the long to the short axis. */
  elongation: number;
  /** Nuclei per 1000 px². */
  density: number;
  arrangement: Arrangement;
  /** Optical density of eosin in the background, and of hematoxylin in a nucleus. */
  eosin: number;
  hematoxylin: number;
  /** Fraction of nuclei stained brown (DAB) instead of purple. */
  dab: number;
  /** Stretch of the background texture along the flow (1: isotropic). */
  fibre: number;
  /** Number of white gaps (lumens, tears) per tile. */
  gaps: number;
}

const A = (a: Archetype): Archetype => a;

export const ARCHETYPES: readonly Archetype[] = [
  A({
    name: "stroma",
    radius: 2.4,
    radiusJitter: 0.15,
    elongation: 3.2,
    density: 2.5,
    arrangement: "stream",
    eosin: 0.6,
    hematoxylin: 1.1,
    dab: 0,
    fibre: 6,
    gaps: 1,
  }),
  A({
    name: "lymphoid",
    radius: 2.1,
    radiusJitter: 0.12,
    elongation: 1.05,
    density: 18,
    arrangement: "random",
    eosin: 0.25,
    hematoxylin: 1.5,
    dab: 0,
    fibre: 1,
    gaps: 0,
  }),
  A({
    name: "tumour",
    radius: 5.0,
    radiusJitter: 0.2,
    elongation: 1.3,
    density: 5,
    arrangement: "clustered",
    eosin: 0.35,
    hematoxylin: 0.7,
    dab: 0,
    fibre: 1,
    gaps: 1,
  }),
  A({
    name: "dysplasia",
    radius: 3.0,
    radiusJitter: 0.2,
    elongation: 2.2,
    density: 8,
    arrangement: "clustered",
    eosin: 0.38,
    hematoxylin: 1.25,
    dab: 0,
    fibre: 1,
    gaps: 1,
  }),
  A({
    name: "gland",
    radius: 2.6,
    radiusJitter: 0.12,
    elongation: 2.0,
    density: 0,
    arrangement: "rings",
    eosin: 0.42,
    hematoxylin: 1.1,
    dab: 0,
    fibre: 1,
    gaps: 3,
  }),
  A({
    name: "ihc-positive",
    radius: 3.8,
    radiusJitter: 0.2,
    elongation: 1.3,
    density: 6,
    arrangement: "clustered",
    eosin: 0.12,
    hematoxylin: 0.55,
    dab: 0.65,
    fibre: 1,
    gaps: 1,
  }),
  A({
    name: "adipose",
    radius: 2.0,
    radiusJitter: 0.15,
    elongation: 2.5,
    density: 0.5,
    arrangement: "fat",
    eosin: 0.45,
    hematoxylin: 1.0,
    dab: 0,
    fibre: 1,
    gaps: 0,
  }),
  A({
    name: "muscle",
    radius: 1.9,
    radiusJitter: 0.1,
    elongation: 4.5,
    density: 2,
    arrangement: "stream",
    eosin: 0.85,
    hematoxylin: 1.0,
    dab: 0,
    fibre: 14,
    gaps: 0,
  }),
];

/** The archetype of class `c`: the base ones, then variants close to them. */
export function archetypeOf(c: number): Archetype {
  const base = ARCHETYPES[c % ARCHETYPES.length]!;
  const variant = Math.floor(c / ARCHETYPES.length);
  if (variant === 0) return base;
  const k = 1 + 0.3 * variant;
  return {
    ...base,
    name: `${base.name}-${variant + 1}`,
    radius: base.radius * k,
    density: base.density / k,
    eosin: base.eosin * (1 + 0.15 * variant),
    dab: base.dab > 0 ? Math.min(1, base.dab + 0.15 * variant) : 0,
  };
}
