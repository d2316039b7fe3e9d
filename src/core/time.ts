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

/**
 * `14:03` in the team's time zone; with `label` (a team whose people are not all in that zone, see
 * spansZones) `14:03 UTC+8`, so nobody reads it as their own local time.
 */
export function clockTime(ms: number, timeZone: string, label = false): string {
  const t = cached(clocks, timeZone, { hour: '2-digit', minute: '2-digit' }).format(ms);
  return label ? `${t} ${utcLabel(ms, timeZone)}` : t;
}

/** `11-22 14:03` in the team's time zone (`11-22 14:03 UTC+8` with `label`). */
export function dateTime(ms: number, timeZone: string, label = false): string {
  const parts = cached(dates, timeZone, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(ms);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const d = `${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
  return label ? `${d} ${utcLabel(ms, timeZone)}` : d;
}

/** `UTC+8`, `UTC-4:30`, `UTC` at that instant (daylight saving included). */
export function utcLabel(ms: number, timeZone: string): string {
  const min = Math.round(zoneOffset(ms, timeZone) / 60_000);
  if (!min) return 'UTC';
  const h = Math.floor(Math.abs(min) / 60);
  const m = Math.abs(min) % 60;
  return `UTC${min < 0 ? '-' : '+'}${h}${m ? `:${String(m).padStart(2, '0')}` : ''}`;
}

/** Does anyone of the policy live in another zone than the team's? Then card times carry their zone. */
export function spansZones(policy: { timezone: string; people: Record<string, { timezone?: string | undefined }> }): boolean {
  return Object.values(policy.people).some((p) => p.timezone !== undefined && p.timezone !== policy.timezone);
}

const days = new Map<string, Intl.DateTimeFormat>();

/** `2026-12-03`: the calendar day in the zone (usage counters reset at the team's midnight). */
export function dayOf(ms: number, timeZone: string): string {
  const parts = cached(days, timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(ms);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Does the text contain Chinese? Then replies use the Chinese wording where there is one. */
export function detectLang(text: string): 'zh' | 'en' {
  return /[\u3400-\u9fff]/.test(text) ? 'zh' : 'en';
}

const full = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
export function zoneOffset(ms: number, timeZone: string): number {
  const parts = cached(full, timeZone, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(ms);
  const n = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour') % 24, n('minute'), n('second'));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** `2026-01-05 10:00` in the team's zone → epoch ms (the offset of that day, daylight saving included). */
export function localToEpoch(local: string, timeZone: string): number | undefined {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)$/.exec(local.trim());
  if (!m) return undefined;
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  const first = guess - zoneOffset(guess, timeZone);
  return guess - zoneOffset(first, timeZone);
}
