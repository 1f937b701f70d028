// The report's only stylesheet, inlined: light and dark (prefers-color-scheme), and print styles (no dark, no breaks in charts).
export const CSS = `
:root{--bg:#fff;--fg:#1c2430;--muted:#5b6675;--line:#d9dee5;--card:#f6f8fa;--grid:#e6e9ee;
--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--skip:#6e7781;--info:#0969da;
--c0:#0969da;--c1:#cf222e;--c2:#1a7f37;--c3:#8250df;--c4:#bc4c00;--c5:#0a7b83;--c6:#bf3989;--c7:#57606a;--bar:#0969da}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--card:#161b22;--grid:#21262d;
--pass:#3fb950;--warn:#d29922;--fail:#f85149;--skip:#8b949e;--info:#58a6ff;
--c0:#58a6ff;--c1:#ff7b72;--c2:#3fb950;--c3:#bc8cff;--c4:#ffa657;--c5:#39c5cf;--c6:#ff80c8;--c7:#8b949e;--bar:#58a6ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px 20px 60px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:22px 0 8px}h4{font-size:14px;margin:14px 0 6px;color:var(--muted)}
a{color:var(--info)}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.muted{color:var(--muted)}
.banner{padding:10px 14px;border-radius:6px;margin:12px 0;border:1px solid var(--line);background:var(--card);font-weight:600}
.banner.fail{border-color:var(--fail);color:var(--fail)}.banner.untrusted{border-color:#8e44ad;color:#8e44ad}.banner.warn{border-color:var(--warn);color:var(--warn)}.banner.pass{border-color:var(--pass);color:var(--pass)}
.badge{display:inline-block;min-width:44px;text-align:center;padding:1px 7px;border-radius:10px;font-size:11.5px;font-weight:700;letter-spacing:.03em;color:#fff;vertical-align:1px}
.badge.pass{background:var(--pass)}.badge.warn{background:var(--warn)}.badge.fail{background:var(--fail)}.badge.untrusted{background:#8e44ad}.badge.skip{background:var(--skip)}
.sev{font-weight:700;text-transform:uppercase;font-size:11.5px}.sev.error{color:var(--fail)}.sev.warn{color:var(--warn)}.sev.info{color:var(--info)}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin:10px 0}
.tile{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px}
.tile b{display:block;font-size:20px}.tile span{color:var(--muted);font-size:12px}
table{border-collapse:collapse;margin:8px 0 14px;width:100%;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{color:var(--muted);font-weight:600}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.regression td{color:var(--fail);font-weight:600}tr.judged td{font-weight:600}figure.headline h4{margin:.8em 0 .2em}tr.improved td{color:var(--pass)}
section.category{margin-top:18px}
p.answer{font-size:15px;margin:4px 0 10px}
figure.headline{padding:12px 14px;margin:8px 0 12px}figure.headline figcaption{font-size:14px;margin:2px 0 6px}
figure.headline svg.chart+figcaption{margin-top:14px}
details.check{border:1px solid var(--line);border-radius:6px;margin:6px 0;background:var(--bg)}
details.check>summary{padding:6px 12px;list-style-position:inside;color:var(--fg)}
details.check>summary .why{display:block;margin:2px 0 0 52px;color:var(--muted);font-size:13px;overflow-wrap:anywhere}
details.check>.body{padding:0 14px 10px;border-top:1px solid var(--line)}
details.check[data-status=fail]>summary .why{color:var(--fail)}
.scroll{overflow-x:auto;max-width:100%}
table.kv,table.inner{margin:0;width:auto;font-size:12.5px}table.kv th{white-space:nowrap}
code.json{white-space:pre-wrap;word-break:break-all}
ul.targets{list-style:none;padding:0;margin:8px 0;display:flex;flex-wrap:wrap;gap:6px 22px}
ul.targets li{overflow-wrap:anywhere}
p.figures{margin:4px 0 10px}
.overview td.badges{min-width:110px;max-width:290px}.overview td.badges .badge{margin:1px 0}.overview td.badges a{text-decoration:none}
#environment>details>summary h2{display:inline;border:0}
section#live{border:1px solid var(--info);border-radius:8px;padding:8px 14px;margin:10px 0}
section#live .bar{height:8px;background:var(--grid);border-radius:4px;overflow:hidden;margin:6px 0}
section#live .bar span{display:block;height:100%;background:var(--info)}
section#live ul{margin:4px 0;padding-left:18px}
.badge.running{background:var(--info)}.badge.pending{background:var(--skip);opacity:.6}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(330px,1fr));gap:14px}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px}
figcaption{font-size:12.5px;font-weight:600;margin-bottom:4px;overflow-wrap:anywhere}
svg.chart{width:100%;height:auto;display:block}svg.chart.large{max-width:1000px}
svg .axis text{fill:var(--muted);font-size:11px}svg .axis .title{font-size:11.5px}
svg.large .axis text,svg.large text{font-size:14px}svg.large .axis .title{font-size:14px}
svg .band line{stroke:var(--muted);stroke-width:1.5}
svg .band rect{fill:var(--grid);opacity:.45}svg .band.odd rect{opacity:.9}svg .band.bad rect{fill:var(--fail);opacity:.14}svg .band text{fill:var(--muted)}
svg .marker.limit line{stroke:var(--fail);stroke-dasharray:6 4;opacity:.9}svg .marker.limit text{fill:var(--fail)}
svg .marker.good line{stroke:var(--pass);stroke-dasharray:6 4;opacity:.9;stroke-width:2}svg .marker.good text{fill:var(--pass);font-weight:600}
svg .prow .p99{fill:var(--bar);opacity:.25}svg .prow .p95{fill:var(--bar);opacity:.55}svg .prow .p50{fill:var(--bar)}svg .prow text{fill:var(--fg)}svg .prow .value{fill:var(--muted)}
svg .grid{stroke:var(--grid);stroke-width:1}svg .base{stroke:var(--muted);stroke-width:1}
svg .series path{fill:none;stroke-width:2}svg .bar{fill:var(--bar);opacity:.85}
svg .marker line{stroke:var(--fg);stroke-dasharray:4 3;opacity:.6}svg .marker text{fill:var(--fg);font-size:10.5px}
svg .marker text,svg .band text{paint-order:stroke;stroke:var(--card);stroke-width:4px;stroke-linejoin:round}
svg .marker text{filter:url(#label-bg)}svg .label-bg{flood-color:var(--card)}svg.defs{position:absolute}
${Array.from({ length: 8 }, (_, i) => `svg .s${i} path{stroke:var(--c${i})}svg .s${i} circle{fill:var(--c${i})}.legend .s${i}{background:var(--c${i})}`).join('')}
.legend{list-style:none;padding:0;margin:4px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}
.legend .key{display:inline-block;width:12px;height:3px;margin-right:5px;vertical-align:middle}
ul.problems{list-style:none;padding:0;margin:8px 0}ul.problems li{margin:4px 0;overflow-wrap:anywhere}#summary #recommendations h2{font-size:17px;margin-top:16px}
ol.recs li,ul.findings li{margin:6px 0}.rec{display:block;color:var(--muted)}.about{display:block;font-size:12px;color:var(--muted)}
details{margin:6px 0}summary{cursor:pointer;color:var(--muted)}
.overview td:first-child{white-space:nowrap}
@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--card:#fff;--line:#bbb;--grid:#ddd}
body{font-size:11px}main{max-width:none;padding:0}section.check,figure,table{break-inside:avoid}
h2,h3{break-after:avoid}details{display:block}details>*{display:block}details>.body{display:block}.badge{border:1px solid #000;color:#000;background:none!important}}
`;
