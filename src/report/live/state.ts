// What the live view knows while a run goes: the plan, the checks ended so far with their results, the running check and
// its last progress line; rendered as the report's own body (the checks so far) under a progress section.
import { SCHEMA_VERSION, type CheckResult, type Mode, type RunResult } from '../../result/model.js';
import type { CheckSnapshot, RunEvent } from '../../result/events.js';
import { environment } from '../../result/environment.js';
import { formatDuration } from '../format.js';
import { badge } from '../html/check.js';
import { esc } from '../html/escape.js';
import { renderBody } from '../html/index.js';
import { liveChart } from './charts.js';

interface Planned { id: string; title: string; category: string }

export class LiveState {
  private plan: Planned[] = [];
  private readonly results = new Map<string, CheckResult>();
  private running: string | undefined;
  /** Reads what the running check has recorded so far: its chart is redrawn on every tick. */
  private peek: (() => CheckSnapshot | undefined) | undefined;
  private lastText = '';
  private readonly t0: number;
  private readonly startedAt = new Date().toISOString();
  /** Bumped when a check ends: the report body changes only then; the progress section changes on every event. */
  version = 0;

  constructor(private readonly mode: Mode, private readonly now: () => number = () => performance.now()) {
    this.t0 = now();
  }

  onEvent(e: RunEvent): void {
    if (e.type === 'plan') { this.plan = e.checks; this.version++; }
    else if (e.type === 'setup' || e.type === 'teardown') this.lastText = e.text;
    else if (e.type === 'check-start') { this.running = e.id; this.lastText = 'started'; this.peek = e.peek; }
    else if (e.type === 'check-progress') { this.running = e.id; this.lastText = e.text; }
    else if (e.type === 'check-end') {
      this.results.set(e.result.id, e.result);
      if (this.running === e.result.id) { this.running = undefined; this.peek = undefined; }
      this.version++;
    }
  }

  get done(): number {
    return this.results.size;
  }

  /**
   * The progress section at the top of the live page: counts, elapsed, the running check, what it does now and its chart
   * as recorded so far.
   */
  progressHtml(): string {
    const total = Math.max(this.plan.length, this.results.size);
    const elapsed = formatDuration(this.now() - this.t0);
    const pct = total ? Math.round((this.done / total) * 100) : 0;
    const run = this.plan.find((p) => p.id === this.running);
    const now = run ? `${badge('running')} <code>${esc(run.id)}</code> ${esc(run.title)}: <span class="muted">${esc(this.lastText)}</span>` : `<span class="muted">${esc(this.lastText || 'starting')}</span>`;
    const pending = this.plan.filter((p) => !this.results.has(p.id) && p.id !== this.running);
    const list = pending.length ? `<details><summary>${pending.length} check${pending.length === 1 ? '' : 's'} to go</summary><ul>${pending.map((p) => `<li>${badge('pending')} <code>${esc(p.id)}</code> ${esc(p.title)}</li>`).join('')}</ul></details>` : '';
    return `<section id="live" data-state="running" data-done="${this.done}" data-total="${total}"><b>Running</b> · ${this.done} of ${total} checks done · elapsed <span id="elapsed">${esc(elapsed)}</span>` +
      `<div class="bar"><span style="width:${pct}%"></span></div><p>${now}</p>${run ? liveChart(run, this.peek?.()) : ''}${list}</section>`;
  }

  /** The report of the checks ended so far, with the counts a final report would show for them. */
  partialResult(): RunResult {
    const checks = [...this.results.values()];
    const count = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
    const ran = checks.length - count('skip');
    const wall = this.now() - this.t0;
    return {
      schemaVersion: SCHEMA_VERSION, mode: this.mode, readOnly: false, interrupted: false, startedAt: this.startedAt, endedAt: '', durationMs: wall,
      environment: environment({}, {}), checks, recommendations: [],
      summary: {
        total: checks.length, passed: count('pass'), warned: count('warn'), failed: count('fail'), untrusted: count('untrusted'), skipped: count('skip'),
        successRate: ran ? (count('pass') + count('warn')) / ran : 1, responseTime: null,
        process: { cpuUserMs: 0, cpuSystemMs: 0, cpuPercent: 0, maxRssMb: 0 }, thresholds: [],
      },
    };
  }

  body(): string {
    return `${this.progressHtml()}\n${renderBody(this.partialResult(), { partial: true })}`;
  }
}
