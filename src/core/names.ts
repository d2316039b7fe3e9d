import { z } from 'zod';
import { t } from './i18n.js';

// Kubernetes object names, as the API server validates them
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/).
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A DNS-1123 label: namespaces, container names. */
export const dnsLabel = z
  .string()
  .max(63, t('en', 'arg.label63'))
  .regex(LABEL, t('en', 'arg.label'));

/** A DNS-1123 subdomain: pod, deployment, node names. */
export const dnsSubdomain = z
  .string()
  .max(253, t('en', 'arg.name253'))
  .regex(SUBDOMAIN, t('en', 'arg.name'));

/** A label selector as kubectl takes it: `app=web,tier!=db`, `env in (prod,staging)`, `!canary`. */
export const labelSelector = z
  .string()
  .max(512, t('en', 'arg.selectorLong'))
  .regex(/^[A-Za-z0-9_.\-/=!, ()]+$/, t('en', 'arg.selector'));
