import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../commands/index.js';
import { OpsError, UsageError } from '../../src/core/errors.js';
import { Registry } from '../../src/core/registry.js';
import { validateArgs } from '../../src/core/slash-parser.js';

/**
 * Every command fed malformed arguments, typed and as LLM tool calls: each answer is a plain-words
 * UsageError in both languages — never the schema library's wording, never a crash.
 */
const reg = new Registry(COMMANDS);
const JARGON = /Invalid (input|option|type|value)|expected (one of|number|string|int|array|object)|Too (small|big)|>=|<=|received|Zod|NaN|undefined|\[object|Unrecognized key/i;

function inputs(spec: (typeof COMMANDS)[number]): string[] {
  const name = `/${spec.name}`;
  const out = [name, `${name} ${'x '.repeat(8)}`, `${name} --bogus`, `${name} -Z 1`];
  const shape = spec.args.shape as Record<string, { def?: { type?: string } }>;
  const bad = ['UPPER_case!', '-5', 'x'.repeat(300), '99999999999', '0', '1.5', '"', '/'];
  for (const [i] of spec.positionals.entries()) for (const v of bad) out.push(`${name} ${[...spec.positionals.slice(0, i).map(() => 'ok-name'), v].join(' ')}`);
  for (const [field, names] of Object.entries(spec.flags ?? {}) as [string, string[]][]) {
    const f = names[0] as string;
    const isBool = JSON.stringify(shape[field]?.def ?? {}).includes('"boolean"');
    if (isBool) out.push(`${name} ok-name ${f}=maybe`);
    else for (const v of ['', 'UPPER!', '-1', 'abc', '99999999999', '1.5']) out.push(`${name} ok-name ${f}${v ? ` ${v}` : ''}`);
  }
  return out;
}

describe('no schema jargon in answers to malformed arguments', () => {
  for (const spec of COMMANDS) {
    it(`/${spec.name}`, () => {
      let refused = 0;
      for (const text of inputs(spec)) {
        try {
          reg.parse(text);
        } catch (err) {
          if (!(err instanceof UsageError)) throw new Error(`${text}: ${err instanceof OpsError ? err.code : String(err)} instead of a usage error`);
          refused++;
          for (const lang of ['en', 'zh'] as const) {
            const said = `${err.says(lang)} · ${err.hints(lang) ?? ''}`;
            expect(said, `${text} (${lang})`).not.toMatch(JARGON);
          }
        }
      }
      expect(refused).toBeGreaterThan(0);
      // The same schema behind the LLM tool: wrong types, unknown fields, nothing at all.
      for (const raw of [{}, { bogus: 1 }, Object.fromEntries(Object.keys(spec.args.shape).map((k) => [k, { nested: true }]))]) {
        try {
          validateArgs(spec, raw);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          for (const lang of ['en', 'zh'] as const) expect(`${(err as UsageError).says(lang)}`, `${JSON.stringify(raw)} (${lang})`).not.toMatch(JARGON);
        }
      }
    });
  }
});
