// Beside the load chart: what gave first (the check's bottleneck finding), where the load's PostgreSQL session time went
// in each stage, and the headroom before each limit. Read from what load.mixed / load.replay recorded (info.attribution,
// the `bottleneck` and `headroom` findings), so a run without attribution shows nothing here.
import type { CheckResult } from '../../result/model.js';
import { formatNumber } from '../format.js';
import { esc } from './escape.js';

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The groups of busy session time the check records, in the order a reader scans them, with their column titles. */
const GROUPS: Array<[string, string]> = [['cpu', 'CPU'], ['lock', 'Lock'], ['wal', 'WAL'], ['io', 'I/O'], ['lwlock', 'LWLock'], ['client', 'Client'], ['other', 'Other']];

const pct = (v: number | undefined): string => (v === undefined ? '' : `${formatNumber(Math.round(v * 100))} %`);

function stageShares(rows: Array<Record<string, unknown>>, judged: number | undefined): string {
  if (rows.length === 0) return '';
  const row = (r: Record<string, unknown>) => {
    const groups = obj(r.groups);
    const cells = GROUPS.map(([k]) => `<td class="n">${esc(pct(num(groups[k])))}</td>`).join('');
    return `<tr class="${num(r.stage) === judged ? 'judged' : ''}"><td class="n">${esc(String(r.stage ?? ''))}</td><td class="n">${esc(`${formatNumber(num(r.level) ?? Number.NaN)} ${String(r.unit ?? '')}`)}</td>` +
      `<td class="n">${esc(pct(num(r.pool_wait_share)))}</td>${cells}<td class="n">${esc(formatNumber(num(r.session_samples) ?? 0))}</td></tr>`;
  };
  return `<div class="scroll"><table class="attribution"><thead><tr><th class="n">Stage</th><th class="n">Level</th><th class="n">Pool wait</th>` +
    `${GROUPS.map(([, t]) => `<th class="n">${esc(t)}</th>`).join('')}<th class="n">Samples</th></tr></thead><tbody>${rows.map(row).join('')}</tbody></table></div>`;
}

export function attributionBlock(c: CheckResult): string {
  const rows = Array.isArray(c.info.attribution) ? c.info.attribution.map(obj) : [];
  const bottleneck = c.findings.find((f) => f.subject === 'bottleneck');
  const headroom = c.findings.find((f) => f.subject === 'headroom');
  if (rows.length === 0 && !bottleneck && !headroom) return '';
  const judged = num(obj(c.info.bottleneck).stage);
  const parts = ['<section class="attribution" aria-label="What gave first">'];
  if (bottleneck) {
    const [evidence = '', ruledOut = ''] = (bottleneck.detail ?? '').split('\nRuled out: ');
    parts.push(`<h4>${esc(bottleneck.title.charAt(0).toUpperCase() + bottleneck.title.slice(1))}</h4>`,
      evidence ? `<p>${esc(evidence)}</p>` : '', ruledOut ? `<p class="muted">Ruled out: ${esc(ruledOut)}</p>` : '');
  }
  if (rows.length) parts.push('<p class="muted">Where the load\'s PostgreSQL session time went in each stage (share of busy session samples; pool wait: share of PostgreSQL step time spent waiting for a session).</p>', stageShares(rows, judged));
  if (headroom) parts.push(`<h4>${esc(headroom.title.charAt(0).toUpperCase() + headroom.title.slice(1))}</h4>`, headroom.detail ? `<p class="muted">${esc(headroom.detail).replace(/\n/g, '<br>')}</p>` : '');
  parts.push('</section>');
  return parts.join('');
}
