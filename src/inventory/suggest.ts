/** "Did you mean" for misspelt names. */

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The closest known name, if it is close enough to be a typo: at most a third of the name's
 * length in edits (so `wg_prot` finds `wg_port`, but `foo` finds nothing).
 */
export function didYouMean(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDist = Infinity;
  for (const k of known) {
    const d = levenshtein(lower, k.toLowerCase());
    if (d < bestDist || (d === bestDist && best !== undefined && k < best)) {
      best = k;
      bestDist = d;
    }
  }
  const limit = Math.max(1, Math.floor(name.length / 3));
  return best !== undefined && bestDist <= limit ? best : undefined;
}
