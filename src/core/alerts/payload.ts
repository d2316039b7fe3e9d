import { z } from 'zod';

/** Alertmanager's webhook payload, version 4 (prometheus.io/docs/alerting/latest/configuration/#webhook_config). */
const labels = z.record(z.string().max(200), z.string().max(4096));

export const alertSchema = z.object({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: labels.default({}),
  startsAt: z.string().max(64),
  endsAt: z.string().max(64).optional(),
  generatorURL: z.string().max(2048).optional(),
  fingerprint: z.string().min(1).max(64),
});

export const webhookSchema = z.object({
  version: z.literal('4', { error: 'version must be "4" (Alertmanager webhook payload v4)' }),
  groupKey: z.string().min(1).max(4096),
  truncatedAlerts: z.number().int().min(0).default(0),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().max(200),
  groupLabels: labels.default({}),
  commonLabels: labels.default({}),
  commonAnnotations: labels.default({}),
  externalURL: z.string().max(2048).optional(),
  alerts: z.array(alertSchema).max(10_000),
});

export type WebhookPayload = z.infer<typeof webhookSchema>;
export type AlertIn = z.infer<typeof alertSchema>;
