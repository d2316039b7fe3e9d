/** A CPU quantity in cores: `500m` → 0.5, `2` → 2, missing → 0. */
export function cpuCores(q: string | undefined): number {
  if (!q) return 0;
  return q.endsWith('m') ? Number(q.slice(0, -1)) / 1000 : Number(q);
}
