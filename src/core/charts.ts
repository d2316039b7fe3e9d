import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
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

type Canvas = { encode(format: 'png'): Promise<Buffer> };
type Engine = {
  createCanvas(w: number, h: number): Canvas;
  echarts: { init(c: unknown, theme: null, o: { width: number; height: number }): { setOption(o: unknown): void; dispose(): void } };
};

export class ChartRenderer {
  readonly #engine: Engine;
  /** Whether labels can be drawn in Chinese (a CJK font was found). */
  readonly cjk: boolean;

  private constructor(engine: Engine, cjk: boolean) {
    this.#engine = engine;
    this.cjk = cjk;
  }

  /**
   * The renderer, or undefined (and one log line) where the canvas binary cannot load on this machine:
   * range queries then show their text trend only.
   */
  static create(log: Logger, font?: string): ChartRenderer | undefined {
    const require = createRequire(import.meta.url);
    let engine: Engine;
    let fonts: { registerFromPath(path: string, family: string): unknown };
    try {
      const canvas = require('@napi-rs/canvas') as { createCanvas: Engine['createCanvas']; GlobalFonts: typeof fonts };
      engine = { createCanvas: canvas.createCanvas, echarts: require('echarts') as Engine['echarts'] };
      fonts = canvas.GlobalFonts;
    } catch (e) {
      log.warn({ reason: (e as Error).message.split('\n')[0] }, 'charts disabled: the canvas library cannot load here; range queries show a text trend');
      return undefined;
    }
    const path = [font, ...FONT_PATHS].find((p) => p && existsSync(p));
    const cjk = Boolean(path && fonts.registerFromPath(path, FAMILY));
    if (!cjk) log.warn({ tried: font ? [font, ...FONT_PATHS] : FONT_PATHS }, 'charts: no CJK font found (apt-get install fonts-wqy-zenhei, or set OPSBOT_CHART_FONT); Chinese labels will not render');
    return new ChartRenderer(engine, cjk);
  }

  /**
   * A line chart of the series (at most 50, the largest last values first), as PNG bytes. The drawing
   * is synchronous; the PNG encoding runs on libuv's thread pool, off the event loop.
   */
  async render(series: readonly Series[], o: ChartOptions): Promise<Buffer> {
    const width = o.width ?? 800;
    const height = o.height ?? 400;
    const shown = series.slice(0, MAX_SERIES);
    // ECharts draws in the process's zone or UTC: shift every instant by the team zone's offset, draw as UTC.
    // (one offset for the whole window unless it spans a daylight-saving change: Intl is slow per point).
    const times = shown.flatMap((s) => [s.samples[0]?.[0], s.samples.at(-1)?.[0]]).filter((t): t is number => t !== undefined);
    const first = times.length ? zoneOffset(Math.min(...times) * 1000, o.timeZone) : 0;
    const same = !times.length || zoneOffset(Math.max(...times) * 1000, o.timeZone) === first;
    const local = same ? (s: number) => s * 1000 + first : (s: number) => s * 1000 + zoneOffset(s * 1000, o.timeZone);
    const canvas = this.#engine.createCanvas(width, height);
    const chart = this.#engine.echarts.init(canvas, null, { width, height });
    try {
      const legend = shown.length <= 8;
      chart.setOption({
        animation: false,
        tooltip: { show: false },
        useUTC: true,
        backgroundColor: '#ffffff',
        textStyle: { fontFamily: this.cjk ? FAMILY : 'sans-serif' },
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
          data: s.samples.filter(([, v]) => Number.isFinite(v)).map(([t, v]) => [local(t), v]),
        })),
      });
      return await canvas.encode('png');
    } finally {
      chart.dispose();
    }
  }
}
