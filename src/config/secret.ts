import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A configuration secret. It cannot leak through logging by accident: JSON.stringify, util.inspect,
 * template strings and String() all print `[redacted]`. Only `reveal()` gives the value, so every
 * place that uses a secret is greppable.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

/**
 * The key that signs button payloads. OPSBOT_SECRET wins; otherwise a random key is generated once into
 * `<dataDir>/opsbot.secret` (mode 0600), so that restarts keep already-sent cards valid.
 */
export function loadSigningKey(dataDir: string, configured?: Secret): { key: Secret; source: 'env' | 'file' | 'generated' } {
  if (configured) return { key: configured, source: 'env' };
  const file = join(dataDir, 'opsbot.secret');
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length >= 32) return { key: new Secret(value), source: 'file' };
  }
  mkdirSync(dataDir, { recursive: true });
  const value = randomBytes(32).toString('base64url');
  writeFileSync(file, value + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return { key: new Secret(value), source: 'generated' };
}
