/**
 * Token estimates without a tokenizer: CJK characters are about one token each, other text about four
 * characters a token (cl100k/o200k on English and JSON). Close enough for budgets; never used for billing.
 */
export function estimateTokens(text: string): number {
  let cjk = 0;
  for (const ch of text) if (/[\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]/.test(ch)) cjk++;
  return cjk + Math.ceil((text.length - cjk) / 4);
}

/** Keeps the start of `text` within `budget` tokens; says how much was cut. */
export function truncateToTokens(text: string, budget: number): { text: string; cut: number } {
  const total = estimateTokens(text);
  if (total <= budget) return { text, cut: 0 };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (estimateTokens(text.slice(0, mid)) <= budget) lo = mid;
    else hi = mid - 1;
  }
  return { text: text.slice(0, lo), cut: total - estimateTokens(text.slice(0, lo)) };
}
