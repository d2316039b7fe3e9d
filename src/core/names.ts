import { z } from 'zod';

// Kubernetes object names, as the API server validates them
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/).
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A DNS-1123 label: namespaces, container names. */
export const dnsLabel = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(LABEL, 'must be lowercase letters, digits and "-", starting and ending with a letter or digit');

/** A DNS-1123 subdomain: pod, deployment, node names. */
export const dnsSubdomain = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(SUBDOMAIN, 'must be lowercase letters, digits, "-" and ".", starting and ending with a letter or digit');

/** A label selector as kubectl takes it: `app=web,tier!=db`, `env in (prod,staging)`, `!canary`. */
export const labelSelector = z
  .string()
  .max(512, 'is too long')
  .regex(/^[A-Za-z0-9_.\-/=!, ()]+$/, 'may contain only label keys, values and = != , ( ) ! in notin');
