import { createHash } from 'node:crypto';
import type { Store } from './store/store.js';

/** How long an image stays fetchable (as long as the buttons of the card that shows it). */
export const IMAGE_TTL_MS = 7 * 24 * 3_600_000;
/** The largest image kept (WeCom's limit; Feishu's is 10 MB). */
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
const REF = /^img_[A-Za-z0-9_-]{22}$/;

/**
 * Images cards show (charts): kept in the store by a reference derived from their bytes, so a card names
 * its image and every replica — and every platform's upload — finds the same bytes.
 */
export class Images {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** Keeps the PNG; returns its reference, or undefined when it is too large to send anywhere. */
  async put(png: Buffer): Promise<string | undefined> {
    if (png.length > MAX_IMAGE_BYTES) return undefined;
    const ref = `img_${createHash('sha256').update(png).digest('base64url').slice(0, 22)}`;
    await this.store.putKv(`image:${ref}`, png.toString('base64'), IMAGE_TTL_MS, this.now());
    return ref;
  }

  async get(ref: string): Promise<Buffer | undefined> {
    if (!REF.test(ref)) return undefined;
    const b64 = await this.store.getKv<string>(`image:${ref}`, this.now());
    return typeof b64 === 'string' ? Buffer.from(b64, 'base64') : undefined;
  }
}
