/** The subset of Kubernetes objects the demo cluster models, as they travel on the wire (JSON). */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
}

export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Container {
  name: string;
  image: string;
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  env?: { name: string; value?: string }[];
  [k: string]: unknown;
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[]; [k: string]: unknown };
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: Record<string, Record<string, unknown>>;
  lastState: Record<string, Record<string, unknown>>;
}

export interface Pod extends KObject {
  spec: { containers: Container[]; nodeName?: string; restartPolicy?: string; [k: string]: unknown };
  status: {
    phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
    containerStatuses?: ContainerStatus[];
    hostIP?: string;
    podIP?: string;
    startTime?: string;
    qosClass?: string;
    [k: string]: unknown;
  };
}

export interface Deployment extends KObject {
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: PodTemplate; strategy?: unknown; revisionHistoryLimit?: number; [k: string]: unknown };
  status: Record<string, unknown>;
}

export interface ReplicaSet extends KObject {
  spec: { replicas: number; selector: { matchLabels: Record<string, string> }; template: PodTemplate };
  status: Record<string, unknown>;
}

export interface KEvent extends KObject {
  involvedObject: { kind: string; name: string; namespace?: string; uid?: string; apiVersion?: string; fieldPath?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: { component: string; host?: string };
}

/** Demo-only fault injected into a pod: how its logs and status behave. */
export type Fault = 'oom-crashloop';
export const FAULT_ANNOTATION = 'demo.opsbot.dev/fault';
