/**
 * Legacy (v1) discovery documents. kubectl asks for aggregated discovery first and falls back to these
 * when the server answers plain JSON, as older API servers do.
 */
const res = (name: string, singularName: string, kind: string, namespaced: boolean, verbs: string[], shortNames?: string[], extra: Record<string, unknown> = {}) => ({
  name,
  singularName,
  namespaced,
  kind,
  verbs,
  ...(shortNames ? { shortNames } : {}),
  ...extra,
});

const CORE_V1 = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    res('namespaces', 'namespace', 'Namespace', false, ['get', 'list'], ['ns']),
    res('nodes', 'node', 'Node', false, ['get', 'list'], ['no']),
    res('pods', 'pod', 'Pod', true, ['delete', 'get', 'list'], ['po'], { categories: ['all'] }),
    res('pods/log', '', 'Pod', true, ['get']),
    res('events', 'event', 'Event', true, ['get', 'list'], ['ev']),
  ],
};

const APPS_V1 = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: 'apps/v1',
  resources: [
    res('deployments', 'deployment', 'Deployment', true, ['get', 'list', 'patch'], ['deploy'], { categories: ['all'] }),
    // kubectl scale resolves the scale subresource's kind from here.
    res('deployments/scale', '', 'Scale', true, ['get', 'patch', 'update'], undefined, { group: 'autoscaling', version: 'v1' }),
    res('replicasets', 'replicaset', 'ReplicaSet', true, ['get', 'list'], ['rs'], { categories: ['all'] }),
  ],
};

const APPS_GROUP = { name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } };

export const DEMO_VERSION = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.4-opsbot-demo',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.22.10',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** The discovery document at `path`, or undefined when the path is not a discovery path. */
export function discovery(path: string, serverUrl: string): unknown {
  switch (path) {
    case '/version':
      return DEMO_VERSION;
    case '/healthz':
    case '/livez':
    case '/readyz':
      return 'ok';
    case '/api':
      return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: serverUrl.replace(/^https?:\/\//, '') }] };
    case '/apis':
      return { kind: 'APIGroupList', apiVersion: 'v1', groups: [APPS_GROUP] };
    case '/apis/apps':
      return { kind: 'APIGroup', apiVersion: 'v1', ...APPS_GROUP };
    case '/api/v1':
      return CORE_V1;
    case '/apis/apps/v1':
      return APPS_V1;
    default:
      return undefined;
  }
}
