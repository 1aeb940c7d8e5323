/** "Did you mean" for typos in keys and enum values (fastest-levenshtein). */
import { distance } from "fastest-levenshtein";

/**
 * The candidate a user most likely meant by `word`, or `null` when none is close: a candidate that
 * is a prefix of the word or starts with it (`lr_range` -> `lr`), else the nearest by edit
 * distance within 2 edits (a third of the word's length for long words).
 */
export function nearest(word: string, candidates: readonly string[]): string | null {
  const lower = word.toLowerCase();
  const prefix = candidates
    .filter((c) => c.length >= 2 && (lower.startsWith(c.toLowerCase()) || c.toLowerCase().startsWith(lower)))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix !== undefined && lower.length >= 2) return prefix;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : null;
}

/** `; did you mean "x"?` or the empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const hit = nearest(word, candidates);
  return hit === null ? "" : `; did you mean "${hit}"?`;
}
