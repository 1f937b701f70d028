// Config section `report`: baseline comparison, the allowed regression, the Pushgateway. Wired into ConfigSchema in ../schema.ts.
import { z } from 'zod';

const MARGIN = /^\d+(\.\d+)?\s*%?$/;

export const ReportSection = z
  .strictObject({
    baseline: z.string().optional().describe('A run.json to compare this run against; the comparison goes into report.md and report.html (flag --baseline)'),
    max_regression: z
      .union([z.number().min(0), z.string().regex(MARGIN, { error: 'expected a margin like "10%" or 0.1' })], { error: 'expected a margin like "10%" or 0.1' })
      .default('10%')
      .describe('Allowed worsening before a metric counts as a regression: "10%", 0.1 (p95 of latencies, error and hit rates, throughput)'),
    min_regression_ms: z.number({ error: 'expected a number of milliseconds' }).min(0, { error: 'expected a number of milliseconds' }).default(0.5)
      .describe('A latency change smaller than this (ms) is never a regression, whatever its percentage'),
    fail_on_regression: z.boolean().default(false).describe('Exit 1 when the run regresses against the baseline (otherwise only `stackprobe compare` gates)'),
    push_url: z.string().url({ error: 'expected a Pushgateway URL like http://pushgateway:9091' }).optional()
      .describe('Push the run\'s key figures to this Prometheus Pushgateway after the run (flag --push)'),
    push_job: z.string().regex(/^[\w.-]+$/, { error: 'expected a job name of letters, digits, _ . -' }).default('stackprobe').describe('The Pushgateway job name'),
  })
  .prefault({})
  .describe('Reports: baseline comparison and Prometheus push');
