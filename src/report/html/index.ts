// The self-contained HTML report: one file, inline CSS and SVG, no script and no network; a pure function of run.json.
// The live view (src/report/live/) serves the same body while a run goes; report.html is its final state.
import { createHash } from 'node:crypto';
import type { Comparison } from '../../compare/model.js';
import type { RunResult } from '../../result/model.js';
import { formatDuration, groupByCategory } from '../format.js';
import { categorySection } from './check.js';
import { CSS } from './css.js';
import { esc } from './escape.js';
import { comparisonSection, environmentSection, summarySection } from './summary.js';
import { LABEL_BACKGROUND } from './svg.js';

export interface HtmlOptions {
  comparison?: Comparison;
  /** The live view of a run still going: no recommendations or environment yet (they exist only at its end). */
  partial?: boolean;
}

/** Everything inside <main>: what the live view replaces on each update. */
export function renderBody(result: RunResult, opts: HtmlOptions = {}): string {
  const env = result.environment;
  // While a run goes its length is the live clock in the progress section: no second, stale figure beside it.
  const took = opts.partial ? '' : ` · ${formatDuration(result.durationMs)}`;
  const meta = `${env.tool.name} ${env.tool.version} · ${result.mode}${result.readOnly ? ' (read-only)' : ''} · started ${result.startedAt} on ${env.client.hostname}${took}`;
  return [
    `<header><h1>${esc(env.tool.name)} report</h1><p class="muted">${esc(meta)}</p></header>`,
    summarySection(result, opts.partial === true),
    opts.comparison ? comparisonSection(opts.comparison) : '',
    ...groupByCategory(result.checks).map((g) => categorySection(g.category, g.checks)),
    opts.partial ? '' : environmentSection(result),
  ].filter(Boolean).join('\n');
}

export interface DocumentOptions {
  title: string;
  /** The live view's script; the report itself has none, and its CSP forbids any. */
  script?: string;
}

export function renderDocument(body: string, opts: DocumentOptions): string {
  // The CSP forbids any load at all (images, fonts, scripts, styles from elsewhere): the file must work offline. The live
  // page allows exactly its own script (by hash) and connections back to the server that sent it.
  const script = opts.script ? `script-src 'sha256-${createHash('sha256').update(opts.script).digest('base64')}'; connect-src 'self'; ` : '';
  // The charts' shared label filter, once per page: where there are charts, or may be (the live page draws them later).
  const defs = opts.script || body.includes('<svg') ? `${LABEL_BACKGROUND}\n` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; ${script}style-src 'unsafe-inline'; img-src data:">
<meta name="color-scheme" content="light dark">
<title>${esc(opts.title)}</title>
<style>${CSS}</style>
</head>
<body>
${defs}<main>
${body}
</main>
${opts.script ? `<script>${opts.script}</script>\n` : ''}</body>
</html>
`;
}

export function renderHtml(result: RunResult, opts: HtmlOptions = {}): string {
  return renderDocument(renderBody(result, opts), { title: `${result.environment.tool.name} report · ${result.startedAt}` });
}
