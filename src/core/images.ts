import { createHash } from 'node:crypto';
import type { Card } from '../../cards/model.js';
import type { PayloadSigner } from './payload.js';
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
    /** OPSBOT_PUBLIC_URL and the button-signing key: links a platform's servers can fetch (GET /images/…). */
    private readonly links?: { publicUrl: string; signer: PayloadSigner },
  ) {}

  /**
   * A link to the image that the platform's own servers fetch (DingTalk markdown shows images by URL
   * only): `<OPSBOT_PUBLIC_URL>/images/<ref>.png?p=<signed>`, signed with the button key, valid as long as
   * the image is kept. Undefined without OPSBOT_PUBLIC_URL.
   */
  url(ref: string): string | undefined {
    if (!this.links || !REF.test(ref)) return undefined;
    const p = this.links.signer.sign({ k: 'x-image', ref, ch: '', t: this.now() });
    return `${this.links.publicUrl.replace(/\/+$/, '')}/images/${ref}.png?p=${encodeURIComponent(p)}`;
  }

  /** The image of a signed link, or undefined (a bad or expired signature, another image, a pruned one). */
  async fromLink(ref: string, signed: string): Promise<Buffer | undefined> {
    if (!this.links || !REF.test(ref)) return undefined;
    try {
      const p = this.links.signer.verify(signed, IMAGE_TTL_MS, this.now());
      if (p.k !== 'x-image' || p['ref'] !== ref) return undefined;
    } catch {
      return undefined;
    }
    return this.get(ref);
  }

  /** The card with each image's link set, for a platform that fetches images by URL. */
  withLinks(card: Card): Card {
    if (!this.links || !card.blocks.some((b) => b.type === 'image')) return card;
    return {
      ...card,
      blocks: card.blocks.map((b) => {
        const url = b.type === 'image' ? this.url(b.ref) : undefined;
        return url ? { ...b, url } : b;
      }),
    };
  }

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
