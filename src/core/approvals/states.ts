import type { ApprovalState } from './types.js';

/**
 * The approval state machine. A step approval that is not the last keeps the state `pending` (the
 * step index moves); the last one moves to `executing` in the same compare-and-set, so "approved"
 * and "started executing" can never be separated by a crash or a second click.
 */
const NEXT: Record<ApprovalState, readonly ApprovalState[]> = {
  pending: ['pending', 'executing', 'rejected', 'expired', 'cancelled'],
  executing: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
  rejected: [],
  expired: [],
  cancelled: [],
};

export function canTransition(from: ApprovalState, to: ApprovalState): boolean {
  return NEXT[from].includes(to);
}
