/** Small helpers for ratio benchmarks: interleaved runs, medians, a printed table. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}

/**
 * Runs `a` and `b` alternately (so drift and GC hit both alike) after a warm-up, and returns the
 * per-iteration times in milliseconds.
 */
export async function interleave(iterations: number, warmup: number, a: () => Promise<unknown>, b: () => Promise<unknown>): Promise<{ a: number[]; b: number[] }> {
  for (let i = 0; i < warmup; i++) {
    await a();
    await b();
  }
  const ta: number[] = [];
  const tb: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const first = i % 2 === 0;
    for (const which of first ? ['a', 'b'] : ['b', 'a']) {
      const t = performance.now();
      await (which === 'a' ? a() : b());
      (which === 'a' ? ta : tb).push(performance.now() - t);
    }
  }
  return { a: ta, b: tb };
}

export interface Row {
  metric: string;
  value: string;
  goal: string;
  ok: boolean;
}

export function printTable(rows: Row[]): void {
  console.log('\n| metric | value | goal | |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.metric} | ${r.value} | ${r.goal} | ${r.ok ? '✓' : '✗'} |`);
}

/**
 * With BENCH_PROFILE=<file>, a CPU profile (.cpuprofile, for Chrome DevTools or speedscope) of `fn` only —
 * the measured phase, without start-up and module loading. With BENCH_HEAP=<file>, a sampling heap
 * profile (.heapprofile: what allocated, by call stack) of the same phase.
 */
export async function profiled<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const file = process.env['BENCH_PROFILE'];
  const heap = process.env['BENCH_HEAP'];
  if (!file && !heap) return fn();
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const s = new Session();
  s.connect();
  if (file) {
    await s.post('Profiler.enable');
    await s.post('Profiler.setSamplingInterval', { interval: Number(process.env['BENCH_PROFILE_US'] ?? 200) });
    await s.post('Profiler.start');
  }
  if (heap) {
    await s.post('HeapProfiler.enable');
    // Every allocation survives until collected; with the GC's objects included, the profile shows what was allocated, not what lived.
    await s.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  try {
    return await fn();
  } finally {
    if (file) {
      const { profile } = await s.post('Profiler.stop');
      writeFileSync(file.replace(/(\.cpuprofile)?$/, `.${name}.cpuprofile`), JSON.stringify(profile));
    }
    if (heap) {
      const { profile } = await s.post('HeapProfiler.stopSampling');
      writeFileSync(heap.replace(/(\.heapprofile)?$/, `.${name}.heapprofile`), JSON.stringify(profile));
    }
    s.disconnect();
  }
}
