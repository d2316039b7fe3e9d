/**
 * Sizes every platform accepts. The tightest is a WeCom markdown message (4,096 bytes,
 * platforms.md §3.6); Feishu allows 30 KB and DingTalk is between. A card that fits here fits everywhere,
 * so commands cut to these and say what they cut, instead of each renderer cutting differently.
 */
export const LIMITS = {
  /** Whole card as plain text. */
  cardBytes: 3800,
  /** A code/log block. */
  codeBytes: 2400,
  /** Longest single log line kept (longer lines are cut with …). */
  codeLineChars: 300,
  /** Table rows shown before "+N more". */
  tableRows: 15,
  /** A table cell. */
  cellChars: 60,
  buttons: 5,
} as const;

export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Cuts a string to at most `max` characters, marking the cut. Never splits a surrogate pair. */
export function truncate(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

/**
 * Keeps the *last* lines of a log that fit in `maxBytes` (the end of a log is what matters on call).
 * Returns the kept text and how many lines were dropped from the top.
 */
export function tailToBytes(lines: string[], maxBytes: number, maxLineChars: number): { text: string; omittedLines: number } {
  const kept: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = truncate(lines[i] as string, maxLineChars);
    const size = byteLength(line) + 1;
    if (used + size > maxBytes) break;
    kept.push(line);
    used += size;
  }
  kept.reverse();
  return { text: kept.join('\n'), omittedLines: lines.length - kept.length };
}
