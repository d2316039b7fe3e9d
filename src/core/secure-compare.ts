import { hash, timingSafeEqual } from 'node:crypto';

/**
 * Constant-time comparison of two secrets of any length (hashing equalises the lengths). One-shot
 * `hash()`: no Hash object per call (each is a native object the GC must finalise — on the webhook path
 * that cost more than the hashing).
 */
export function secretsEqual(a: string, b: string): boolean {
  return timingSafeEqual(hash('sha256', a, 'buffer'), hash('sha256', b, 'buffer'));
}
