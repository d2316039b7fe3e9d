import { ApiException } from '@kubernetes/client-node';
import { NotFoundError, OpsError, UpstreamError } from '../core/errors.js';
import { withoutUrls } from '../config/url.js';
import { msg } from '../core/i18n.js';

/** What a call was about, so a 404 can say `deployment "ngnix" not found in namespace "default"`. */
export interface CallTarget {
  kind: string;
  name?: string;
  namespace?: string;
}

/** Maps a client-node error or a network failure to a one-line OpsError. Never includes a URL or raw body. */
export function toKubeError(err: unknown, target: CallTarget, timeoutMs: number): OpsError {
  if (err instanceof OpsError) return err;
  if (err instanceof ApiException) {
    const status = parseStatus(err.body);
    if (err.code === 404 && target.name) return new NotFoundError(target.namespace ? msg('kube.notFoundIn', { kind: target.kind, name: target.name, ns: target.namespace }) : msg('kube.notFound', { kind: target.kind, name: target.name }));
    const reason = status?.message ? firstLine(status.message) : `HTTP ${err.code}`;
    if (err.code === 401) return new UpstreamError(msg('kube.unauthorized'), { code: 'kube_unauthorized' });
    if (err.code === 403) return new UpstreamError(msg('kube.forbidden', { reason }), { code: 'kube_forbidden' });
    if (err.code === 409) return new UpstreamError(msg('kube.conflict', { reason }), { code: 'kube_conflict' });
    if (err.code === 422 || err.code === 400) return new UpstreamError(msg('kube.invalid', { reason }), { code: 'kube_invalid' });
    // An eviction the pod's disruption budget does not allow now (the Eviction API's answer; retry later).
    if (err.code === 429 && /disruption budget/i.test(status?.message ?? '')) {
      const cause = (status?.details?.causes ?? []).map((c) => c.message).find(Boolean);
      return new UpstreamError(msg('kube.budget', { reason: cause ? firstLine(cause) : reason }), { code: 'kube_disruption_budget' });
    }
    if (err.code === 429) return new UpstreamError(msg('kube.throttled'), { code: 'kube_throttled' });
    return new UpstreamError(msg('kube.error', { code: err.code, reason }));
  }
  const e = err as { name?: string; code?: string; type?: string; cause?: { code?: string }; message?: string };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.type === 'aborted') {
    return new UpstreamError(msg('kube.timeout', { s: Math.round(timeoutMs / 100) / 10 }), { code: 'kube_timeout', cause: err });
  }
  const code = e?.code ?? e?.cause?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET' || code === 'ETIMEDOUT') {
    return new UpstreamError(msg('kube.unreachable', { code }), { code: 'kube_unreachable', cause: err });
  }
  // Anything else (a kubeconfig with http:// and no insecure-skip-tls-verify, a bad certificate…): the
  // client's own first line says why, without the URL, rather than a bare "call failed".
  const why = withoutUrls(firstLine(String(e?.message ?? ''))).slice(0, 200);
  return new UpstreamError(why ? msg('kube.failedBecause', { why }) : msg('kube.failed'), { code: 'kube_error', cause: err });
}

interface Status {
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

function parseStatus(body: unknown): Status | undefined {
  if (body && typeof body === 'object') return body as Status;
  if (typeof body !== 'string') return undefined;
  try {
    return JSON.parse(body) as Status;
  } catch {
    return undefined;
  }
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 200 ? line.slice(0, 197) + '...' : line;
}
