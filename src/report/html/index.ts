// The self-contained HTML report: one file, inline CSS and SVG, no script and no network; a pure function of run.json.
import type { Comparison } from '../../compare/model.js';
import type { RunResult } from '../../result/model.js';
import { groupByCategory } from '../format.js';
import { categorySection } from './check.js';
import { CSS } from './css.js';
import { esc } from './escape.js';
import { comparisonSection, environmentSection, summarySection } from './summary.js';

export interface HtmlOptions {
  comparison?: Comparison;
}

export function renderHtml(result: RunResult, opts: HtmlOptions = {}): string {
  const env = result.environment;
  const title = `${env.tool.name} report · ${result.startedAt}`;
  const body = [
    `<header><h1>${esc(env.tool.name)} report</h1><p class="muted">${esc(env.tool.name)} ${esc(env.tool.version)} · ${esc(result.mode)}${result.readOnly ? ' (read-only)' : ''} · started ${esc(result.startedAt)} on ${esc(env.client.hostname)}</p></header>`,
    summarySection(result),
    opts.comparison ? comparisonSection(opts.comparison) : '',
    ...groupByCategory(result.checks).map((g) => categorySection(g.category, g.checks)),
    environmentSection(result),
  ];
  // The CSP forbids any load at all (images, fonts, scripts, styles from elsewhere): the file must work offline.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="color-scheme" content="light dark">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body.filter(Boolean).join('\n')}
</main>
</body>
</html>
`;
}
