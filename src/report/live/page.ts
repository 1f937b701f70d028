// The live page's only script: follows the server's events, replacing the progress section on each tick and the report
// body when a check ends, keeping the details a reader opened; closes its connection when the run's final state arrives.
import type { RunResult } from '../../result/model.js';
import { esc } from '../html/escape.js';
import { renderDocument } from '../html/index.js';

/** Plain ES2017 in a string: it runs in the browser, inlined, allowed by its hash in the page's CSP. */
export const LIVE_SCRIPT = `(function(){
var main=document.querySelector('main');
var es=new EventSource('/events');
function opened(){return Array.prototype.map.call(document.querySelectorAll('details[open][data-check]'),function(d){return d.getAttribute('data-check');});}
function reopen(ids){ids.forEach(function(id){Array.prototype.forEach.call(document.querySelectorAll('details[data-check]'),function(d){if(d.getAttribute('data-check')===id)d.open=true;});});}
function live(){return document.getElementById('live');}
es.addEventListener('progress',function(e){var s=live();if(s)s.outerHTML=JSON.parse(e.data).html;});
es.addEventListener('state',function(e){var ids=opened();main.innerHTML=JSON.parse(e.data).body;reopen(ids);});
es.addEventListener('done',function(e){es.close();var ids=opened();main.innerHTML=JSON.parse(e.data).body;reopen(ids);document.title=document.title.replace(/^\\u25B6 /,'');document.documentElement.setAttribute('data-live','done');});
es.onerror=function(){var s=live();if(s&&es.readyState===2)s.setAttribute('data-state','disconnected');};
})();`;

export function livePage(body: string): string {
  return renderDocument(body, { title: '▶ stackprobe live', script: LIVE_SCRIPT });
}

/** The final state: the report's body under a line that says the run ended and where report.html is. */
export function finalBody(reportBody: string, result: RunResult, reportFile: string | undefined): string {
  const where = reportFile ? ` The same report is in <code>${esc(reportFile)}</code>.` : '';
  const how = result.interrupted ? 'The run was interrupted' : 'The run ended';
  return `<section id="live" data-state="done"><b>${how}.</b> This page shows its final report; the live server has closed.${where}</section>\n${reportBody}`;
}
