import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants as Z, crc32, deflate } from 'node:zlib';
import type { Logger } from '../log.js';
import { type Series, seriesName } from './prometheus.js';
import { zoneOffset } from './time.js';

/**
 * Range-query charts as PNG, rendered in-process: ECharts (the charting library Chinese teams know) draws
 * on a Skia canvas from @napi-rs/canvas, whose native binary comes with the npm package (no system
 * libraries, no browser). The CJK font is registered once at startup — a rasteriser that parses a 17 MB
 * CJK font per image (resvg, measured) cannot render within the budget.
 */

export interface ChartOptions {
  /** The y axis's values as cards show them (formatValue with the unit). */
  format: (v: number) => string;
  /** The team's zone: the x axis says its clock times. */
  timeZone: string;
  width?: number;
  height?: number;
}

/** Where a CJK font usually is (Debian: fonts-wqy-zenhei, fonts-noto-cjk); OPSBOT_CHART_FONT first. */
const FONT_PATHS = [
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
  '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf',
];
const FAMILY = 'opsbot-chart';
const MAX_SERIES = 50;

type Canvas = { getContext(type: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
type Engine = {
  createCanvas(w: number, h: number): Canvas;
  echarts: { init(c: unknown, theme: null, o: { width: number; height: number }): { setOption(o: unknown, opts?: { notMerge: boolean }): void; dispose(): void } };
};

const DIMENSIONS = [
  { name: 't', type: 'time' },
  { name: 'v', type: 'float' },
];

/** The finite samples as one flat typed array of [time in the drawn zone (ms), value] pairs. */
function points(samples: Series['samples'], local: (s: number) => number): Float64Array {
  const out = new Float64Array(samples.length * 2);
  let n = 0;
  for (const [t, v] of samples) {
    if (!Number.isFinite(v)) continue;
    out[n++] = local(t);
    out[n++] = v;
  }
  return n === out.length ? out : out.subarray(0, n);
}

export class ChartRenderer {
  /** Loaded on the first chart: undefined until then, null where it cannot load. */
  #engine?: Engine | null;
  readonly #surfaces = new Map<string, { canvas: Canvas; chart: ReturnType<Engine['echarts']['init']> }>();
  readonly #log: Logger;
  /** The CJK font to register when the engine loads (found at startup), if any. */
  readonly #font?: string;
  #cjk = false;

  private constructor(log: Logger, font: string | undefined) {
    this.#log = log;
    if (font) this.#font = font;
  }

  /**
   * The renderer. The canvas library and ECharts (~40 MB of memory) are loaded for the first chart, not
   * at startup: a bot that never draws one does not carry them. Where the canvas binary cannot load,
   * that first chart logs one line and every range query shows its text trend only.
   */
  static create(log: Logger, font?: string): ChartRenderer {
    const path = [font, ...FONT_PATHS].find((p) => p && existsSync(p));
    if (!path) log.warn({ tried: font ? [font, ...FONT_PATHS] : FONT_PATHS }, 'charts: no CJK font found (apt-get install fonts-wqy-zenhei, or set OPSBOT_CHART_FONT); Chinese labels will not render');
    return new ChartRenderer(log, path);
  }

  /** Whether labels can be drawn in Chinese (a CJK font was found and registered); loads the engine. */
  get cjk(): boolean {
    this.#load();
    return this.#cjk;
  }

  #load(): Engine | undefined {
    if (this.#engine === undefined) {
      const require = createRequire(import.meta.url);
      try {
        const canvas = require('@napi-rs/canvas') as { createCanvas: Engine['createCanvas']; GlobalFonts: { registerFromPath(path: string, family: string): unknown } };
        this.#engine = { createCanvas: canvas.createCanvas, echarts: require('echarts') as Engine['echarts'] };
        this.#cjk = Boolean(this.#font && canvas.GlobalFonts.registerFromPath(this.#font, FAMILY));
      } catch (e) {
        this.#log.warn({ reason: (e as Error).message.split('\n')[0] }, 'charts disabled: the canvas library cannot load here; range queries show a text trend');
        this.#engine = null;
      }
    }
    return this.#engine ?? undefined;
  }

  /**
   * A line chart of the series (at most 50, the largest last values first), as PNG bytes, or undefined
   * where charts cannot be drawn here. The drawing is synchronous; the compression runs on libuv's
   * thread pool, off the event loop.
   */
  async render(series: readonly Series[], o: ChartOptions): Promise<Buffer | undefined> {
    const engine = this.#load();
    if (!engine) return undefined;
    const width = o.width ?? 800;
    const height = o.height ?? 400;
    const shown = series.slice(0, MAX_SERIES);
    // ECharts draws in the process's zone or UTC: shift every instant by the team zone's offset, draw as UTC.
    // (one offset for the whole window unless it spans a daylight-saving change: Intl is slow per point).
    const times = shown.flatMap((s) => [s.samples[0]?.[0], s.samples.at(-1)?.[0]]).filter((t): t is number => t !== undefined);
    const first = times.length ? zoneOffset(Math.min(...times) * 1000, o.timeZone) : 0;
    const same = !times.length || zoneOffset(Math.max(...times) * 1000, o.timeZone) === first;
    const local = same ? (s: number) => s * 1000 + first : (s: number) => s * 1000 + zoneOffset(s * 1000, o.timeZone);
    // One canvas and chart per size, reused: drawing and reading the pixels back are synchronous, so two
    // renders never share it (setOption with notMerge replaces every component of the previous chart).
    const key = `${width}x${height}`;
    let surface = this.#surfaces.get(key);
    if (!surface) {
      const canvas = engine.createCanvas(width, height);
      surface = { canvas, chart: engine.echarts.init(canvas, null, { width, height }) };
      if (this.#surfaces.size >= 4) this.#surfaces.clear();
      this.#surfaces.set(key, surface);
    }
    const { canvas, chart } = surface;
    let rgba: Uint8ClampedArray;
    try {
      const legend = shown.length <= 8;
      chart.setOption({
        animation: false,
        tooltip: { show: false },
        useUTC: true,
        backgroundColor: '#ffffff',
        textStyle: { fontFamily: this.#cjk ? FAMILY : 'sans-serif' },
        grid: { left: 64, right: 24, top: 16, bottom: legend ? 64 : 32 },
        legend: { show: legend, bottom: 4, type: 'plain', textStyle: { fontSize: 11 }, itemWidth: 14, itemHeight: 8 },
        xAxis: { type: 'time', axisLabel: { hideOverlap: true, formatter: { year: '{yyyy}', month: '{MM}-{dd}', day: '{MM}-{dd}', hour: '{HH}:{mm}', minute: '{HH}:{mm}', second: '{HH}:{mm}:{ss}' } }, splitLine: { show: false } },
        yAxis: { type: 'value', scale: true, axisLabel: { formatter: (v: number) => o.format(v) }, splitLine: { lineStyle: { color: '#eeeeee' } } },
        series: shown.map((s) => ({
          name: seriesName(s.labels),
          type: 'line',
          // A lone sample is a dot (a line needs two).
          showSymbol: s.samples.length < 2,
          ...(s.samples.length < 2 ? {} : { symbol: 'none' }),
          // A still image: no hover states or events to build.
          silent: true,
          emphasis: { disabled: true },
          // Thin lines when many: less overdraw to read, and fewer anti-aliased pixels to encode.
          lineStyle: { width: shown.length > 10 ? 1 : 1.5 },
          // Flat [t0, v0, t1, v1, …] in a typed array: ECharts copies it natively instead of cloning 121
          // small arrays per series on setOption (the same pixels, about a third less drawing time).
          data: points(s.samples, local),
          dimensions: DIMENSIONS,
          encode: { x: 0, y: 1 },
        })),
      }, { notMerge: true });
      rgba = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    } catch (e) {
      this.#surfaces.delete(key);
      chart.dispose();
      throw e;
    }
    return encodePng(rgba, width, height);
  }
}

/**
 * RGBA pixels (opaque: the chart has a white background) as an RGB PNG with no row filters, deflated
 * with zlib's run-length strategy on the thread pool. Skia's own encoder (RGBA, every filter tried per
 * row, level 6) took ~25 ms for a 50-series chart, as long as the Prometheus query; this takes ~5 ms and
 * the file is ~15 % smaller, the same pixels (test/unit/charts.test.ts decodes both and compares).
 */
export async function encodePng(rgba: Uint8ClampedArray, width: number, height: number): Promise<Buffer> {
  const stride = width * 3 + 1;
  const raw = Buffer.allocUnsafe(stride * height);
  for (let y = 0, o = 0; y < height; y++) {
    let j = y * stride;
    raw[j++] = 0; // filter: None
    for (let x = 0; x < width; x++, o += 4) {
      raw[j++] = rgba[o] as number;
      raw[j++] = rgba[o + 1] as number;
      raw[j++] = rgba[o + 2] as number;
    }
  }
  const idat = await new Promise<Buffer>((resolve, reject) =>
    deflate(raw, { level: 6, strategy: Z.Z_RLE }, (err, out) => (err ? reject(err) : resolve(out))),
  );
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bits per channel
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}
