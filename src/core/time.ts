// Intl.DateTimeFormat construction is expensive (it was ~5% of a click's CPU): one formatter per zone.
const clocks = new Map<string, Intl.DateTimeFormat>();
const dates = new Map<string, Intl.DateTimeFormat>();

function cached(map: Map<string, Intl.DateTimeFormat>, timeZone: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  let f = map.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour12: false, ...opts });
    map.set(timeZone, f);
  }
  return f;
}

/** `14:03` in the team's time zone. */
export function clockTime(ms: number, timeZone: string): string {
  return cached(clocks, timeZone, { hour: '2-digit', minute: '2-digit' }).format(ms);
}

/** `11-22 14:03` in the team's time zone. */
export function dateTime(ms: number, timeZone: string): string {
  const parts = cached(dates, timeZone, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(ms);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** Does the text contain Chinese? Then replies use the Chinese wording where there is one. */
export function detectLang(text: string): 'zh' | 'en' {
  return /[\u3400-\u9fff]/.test(text) ? 'zh' : 'en';
}
