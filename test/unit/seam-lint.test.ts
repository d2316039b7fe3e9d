import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/start-app.js';

/**
 * A platform is one folder: core, commands, cards, HTTP, the LLM loop, the composition root and the
 * config module never name one in code (comments may explain a platform's quirk). Adding a platform
 * touches its folder and the list in src/platforms/index.ts, nothing else.
 */
const PLACES = ['src/core', 'src/http', 'src/llm', 'src/kube', 'commands', 'cards', 'src/app.ts', 'src/main.ts', 'src/config'];
const NAMES = /\b(feishu|lark|larksuite|dingtalk|ding|wecom|weixin|wechat|slack)\b/i;

function files(p: string): string[] {
  const abs = join(ROOT, p);
  if (statSync(abs).isFile()) return [abs];
  return readdirSync(abs).flatMap((f) => files(join(p, f)));
}

/** Code without comments (line, block and JSDoc). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('no platform is named outside its folder', () => {
  it('core, commands, cards, http, llm, kube, app, main and config name no platform in code', () => {
    const hits: string[] = [];
    for (const f of PLACES.flatMap(files).filter((f) => f.endsWith('.ts'))) {
      code(readFileSync(f, 'utf8'))
        .split('\n')
        .forEach((line, i) => {
          if (NAMES.test(line)) hits.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });

  it('the check itself sees a platform name in code', () => {
    expect(NAMES.test(code("const x = 'feishu'; // fine"))).toBe(true);
    expect(NAMES.test(code('// Feishu retries for 7 h\nconst y = 1;'))).toBe(false);
  });
});

describe("README's config table has every registered platform's variables", () => {
  it('each variable of each platform definition has a row', async () => {
    const { PLATFORMS } = await import('../../src/platforms/index.js');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const missing = PLATFORMS.flatMap((p) => p.vars.filter((v) => !readme.includes(`| \`${v.name}\``)).map((v) => `${p.id}: ${v.name}`));
    expect(missing).toEqual([]);
  });

  it("the core's variables have rows too, and the table names no variable the code does not know", async () => {
    const { PLATFORMS } = await import('../../src/platforms/index.js');
    const { CORE_VARS } = await import('../../src/config/env.js');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const known = new Set([...CORE_VARS.map((v) => v.name), ...PLATFORMS.flatMap((p) => p.vars.map((v) => v.name))]);
    expect(CORE_VARS.filter((v) => !readme.includes(`| \`${v.name}\``)).map((v) => v.name)).toEqual([]);
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('### Policy file'));
    const rows = [...table.matchAll(/^\| `([A-Z][A-Z0-9_]+)`/gm)].map((m) => m[1] as string);
    expect(rows.filter((n) => !known.has(n))).toEqual([]);
    // config.env.example names every variable too (commented out, with its default).
    const example = readFileSync(join(ROOT, 'config.env.example'), 'utf8');
    expect([...known].filter((n) => !new RegExp(`^#?${n}=`, 'm').test(example))).toEqual([]);
  });
});
