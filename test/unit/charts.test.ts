import { createCanvas, loadImage } from '@napi-rs/canvas';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ChartRenderer, encodePng } from '../../src/core/charts.js';
import { createLogger } from '../../src/log.js';

const pixels = async (png: Buffer, w: number, h: number) => {
  const c = createCanvas(w, h);
  c.getContext('2d').drawImage(await loadImage(png), 0, 0);
  return c.getContext('2d').getImageData(0, 0, w, h).data;
};

describe('chart PNGs', () => {
  it('the canvas library and ECharts are loaded for the first chart, not when the bot starts', async () => {
    // In a process of its own: what a test file loaded before would hide it.
    const script = `
      const { createRequire } = await import('node:module');
      const { ChartRenderer } = await import('./src/core/charts.ts');
      const { createLogger } = await import('./src/log.ts');
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((k) => /@napi-rs[\\/]canvas|[\\/]echarts[\\/]/.test(k)).length;
      const charts = ChartRenderer.create(createLogger({ level: 'silent', format: 'json' }));
      const before = loaded();
      const png = await charts.render([{ labels: { pod: 'a' }, samples: [[1, 1], [2, 2]] }], { format: String, timeZone: 'UTC' });
      console.log(JSON.stringify({ before, after: loaded(), bytes: png.length }));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: new URL('../../', import.meta.url).pathname, timeout: 30_000 });
    const r = JSON.parse(stdout) as { before: number; after: number; bytes: number };
    expect(r.before).toBe(0);
    expect(r.after).toBeGreaterThan(0);
    expect(r.bytes).toBeGreaterThan(1000);
  });

  it('a chart of 50 series: 800 × 400, decodable, its labels drawn with the CJK font registered', async () => {
    const charts = ChartRenderer.create(createLogger({ level: 'silent', format: 'json' }));
    expect(charts).toBeDefined();
    const now = 1_764_800_000;
    const series = Array.from({ length: 50 }, (_, i) => ({ labels: { pod: `api-${i}` }, samples: Array.from({ length: 121 }, (_, j) => [now - 86_400 + j * 720, 0.2 + 0.1 * Math.sin(j / 10 + i)] as [number, number]) }));
    const png = (await charts.render(series, { format: (v) => `${v.toFixed(2)} 核`, timeZone: 'Asia/Shanghai' }))!;
    const img = await loadImage(png);
    expect([img.width, img.height]).toEqual([800, 400]);
    expect(png.length).toBeGreaterThan(20_000);
    expect(png.length).toBeLessThan(2 * 1024 * 1024);
    // The y axis's labels are drawn (dark pixels left of the plot); .ci/run installs the CJK font they use.
    expect(charts.cjk).toBe(true);
    const data = await pixels(png, 800, 400);
    let dark = 0;
    for (let y = 0; y < 400; y++) for (let x = 0; x < 60; x++) if ((data[(y * 800 + x) * 4] as number) < 160) dark++;
    expect(dark).toBeGreaterThan(200);
  });

  it('a reused canvas draws each chart as a fresh one would: nothing of the previous chart is left', async () => {
    const log = createLogger({ level: 'silent', format: 'json' });
    const now = 1_764_800_000;
    const make = (n: number, points: number, scale: number) =>
      Array.from({ length: n }, (_, i) => ({ labels: { pod: `web-${i}` }, samples: Array.from({ length: points }, (_, j) => [now - 3600 + j * 60, scale * (1 + Math.cos(j / 7 + i))] as [number, number]) }));
    const few = make(3, 61, 2); // with its legend
    const many = make(40, 121, 500); // no legend, other axis
    const one = make(1, 1, 1); // a lone sample: a dot
    const fresh = async (s: ReturnType<typeof make>) => (await ChartRenderer.create(log).render(s, { format: (v) => v.toFixed(1), timeZone: 'UTC' }))!;
    const reused = ChartRenderer.create(log);
    const draw = async (s: ReturnType<typeof make>) => (await reused.render(s, { format: (v) => v.toFixed(1), timeZone: 'UTC' }))!;
    const [a, b, c] = [await draw(few), await draw(many), await draw(one)];
    const a2 = await draw(few);
    expect(a2.equals(a)).toBe(true);
    expect(a.equals(await fresh(few))).toBe(true);
    expect(b.equals(await fresh(many))).toBe(true);
    expect(c.equals(await fresh(one))).toBe(true);
    expect(a.equals(b)).toBe(false);
    // Renders started together each get their own chart.
    const together = await Promise.all([draw(many), draw(few), draw(one)]);
    expect(together.map((x) => x.equals(b) || x.equals(a) || x.equals(c))).toEqual([true, true, true]);
    expect(together[0]!.equals(b) && together[1]!.equals(a) && together[2]!.equals(c)).toBe(true);
  });

  it('our PNG encoder: the pixels Skia\'s own encoder gives, read back by an independent decoder; each chunk with its CRC', async () => {
    // A drawing with text, anti-aliased strokes, gradients and every channel value, on an opaque background.
    const c = createCanvas(301, 97);
    const g = c.getContext('2d');
    g.fillStyle = '#ffffff';
    g.fillRect(0, 0, 301, 97);
    const grad = g.createLinearGradient(0, 0, 301, 0);
    grad.addColorStop(0, '#ff0000');
    grad.addColorStop(0.5, '#00ff80');
    grad.addColorStop(1, '#2040ff');
    g.fillStyle = grad;
    g.fillRect(0, 60, 301, 37);
    g.strokeStyle = '#5470c6';
    g.lineWidth = 1.3;
    g.beginPath();
    for (let x = 0; x < 301; x += 7) g.lineTo(x, 30 + 25 * Math.sin(x / 20));
    g.stroke();
    g.fillStyle = '#333333';
    g.font = '14px sans-serif';
    g.fillText('api-gateway 12:00', 8, 16);
    const rgba = g.getImageData(0, 0, 301, 97).data;
    const ours = await encodePng(rgba, 301, 97);
    const skia = await c.encode('png');
    expect(ours.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(Buffer.from(await pixels(ours, 301, 97)).equals(Buffer.from(await pixels(skia, 301, 97)))).toBe(true);
    expect(Buffer.from(await pixels(ours, 301, 97)).equals(Buffer.from(rgba))).toBe(true);
    // Chunks: IHDR (RGB, 8 bits), IDAT, IEND, each with the CRC of its type and data. (A corrupt file is not
    // fed to the decoder: @napi-rs/canvas 0.1.100 crashes the process on a bad CRC.)
    const chunks: string[] = [];
    for (let at = 8; at < ours.length; ) {
      const len = ours.readUInt32BE(at);
      chunks.push(ours.toString('latin1', at + 4, at + 8));
      expect(ours.readUInt32BE(at + 8 + len)).toBe(crc32(ours.subarray(at + 4, at + 8 + len)));
      at += 12 + len;
    }
    expect(chunks).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([ours[8 + 8 + 8], ours[8 + 8 + 9]]).toEqual([8, 2]);
  });
});
