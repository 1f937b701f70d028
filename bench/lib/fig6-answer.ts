// Figure 6: time to answer: wall time of `run --quick` on the embedded default, and of `run --full` on the machine's services.
import { redactUrl } from '../../src/util/redact.js';
import { runCli } from './cli-run.js';
import type { BenchOptions, Row } from './types.js';

const statuses = (r: Awaited<ReturnType<typeof runCli>>) => {
  const count = new Map<string, number>();
  for (const c of r.runJson?.checks ?? []) count.set(c.status, (count.get(c.status) ?? 0) + 1);
  return [...count].map(([s, n]) => `${n} ${s}`).join(', ');
};

export async function figureAnswer(opts: BenchOptions): Promise<Row[]> {
  const embedded = { ...process.env };
  for (const k of ['DATABASE_URL', 'REDIS_URL', 'CELERY_BROKER_URL', 'CELERY_RESULT_BACKEND']) delete embedded[k];
  opts.log('fig 6: run --quick (embedded PostgreSQL)');
  const quick = await runCli(['--quick'], embedded);
  const rows: Row[] = [{
    figure: 6, measure: 'run --quick, embedded default: wall time', value: quick.wallMs / 1000, unit: 's', target: '< 60 s', met: quick.wallMs < 60_000,
    note: `exit ${quick.code}; checks: ${statuses(quick)}`, command: 'node dist/cli/main.js run --quick (no DATABASE_URL/REDIS_URL)',
  }];
  if (!opts.quick) {
    opts.log('fig 6: run --full (machine services)');
    const env = { ...embedded, DATABASE_URL: opts.pgUrl, REDIS_URL: opts.redisUrl };
    const full = await runCli(['--full'], env);
    rows.push({
      figure: 6, measure: 'run --full, machine services: wall time', value: full.wallMs / 1000, unit: 's', target: '< 300 s', met: full.wallMs < 300_000,
      note: `exit ${full.code}; checks: ${statuses(full)}`, command: `DATABASE_URL=${redactUrl(opts.pgUrl)} REDIS_URL=${redactUrl(opts.redisUrl)} node dist/cli/main.js run --full`,
    });
  }
  return rows;
}
