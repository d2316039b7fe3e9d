import type { StepOutcome } from '../src/core/runbooks/engine.js';

/** One step of a multi-step change as its cards list it. */
export interface StepLine {
  title: string;
  /** The title is a command line (shown as code). */
  code?: boolean;
  /** What its dry run said would change. */
  change?: string;
  /** Why it will be skipped (already so). */
  skip?: string;
}

const ICON: Record<StepOutcome['state'] | 'waiting', string> = { waiting: '▫️', running: '⏳', done: '✅', failed: '❌', skipped: '⏭️' };

/**
 * `1. ✅ /scale api-gateway 5 -n production — replicas 3 → 5` — every step, numbered, with its progress
 * when the run has started (steps after a failure keep the waiting mark: they did not run).
 */
export function stepLines(steps: readonly StepLine[], progress?: readonly (StepOutcome | null | undefined)[]): string {
  return steps
    .map((s, i) => {
      const p = progress?.[i];
      const icon = progress ? ICON[p?.state ?? 'waiting'] : '';
      const change = s.skip ? ` — ${s.skip}` : s.change ? ` — ${s.change}` : '';
      const note = p?.note ? `\n   ${p.note}` : '';
      return `${i + 1}. ${icon ? `${icon} ` : ''}${s.code ? `\`${s.title}\`` : s.title}${change}${note}`;
    })
    .join('\n');
}
