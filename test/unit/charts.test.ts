import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { ChartRenderer } from '../../src/core/charts.js';
import { createLogger } from '../../src/log.js';

const pixels = async (png: Buffer, w: number, h: number) => {
  const c = createCanvas(w, h);
  c.getContext('2d').drawImage(await loadImage(png), 0, 0);
  return c.getContext('2d').getImageData(0, 0, w, h).data;
};

describe('chart PNGs', () => {
  it('a chart of 50 series: 800 × 400, decodable, its labels drawn with the CJK font registered', async () => {
    const charts = ChartRenderer.create(createLogger({ level: 'silent', format: 'json' }))!;
    expect(charts).toBeDefined();
    const now = 1_764_800_000;
    const series = Array.from({ length: 50 }, (_, i) => ({ labels: { pod: `api-${i}` }, samples: Array.from({ length: 121 }, (_, j) => [now - 86_400 + j * 720, 0.2 + 0.1 * Math.sin(j / 10 + i)] as [number, number]) }));
    const png = await charts.render(series, { format: (v) => `${v.toFixed(2)} 核`, timeZone: 'Asia/Shanghai' });
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
});
