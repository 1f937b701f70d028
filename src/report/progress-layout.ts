// The terminal progress view as lines for a given terminal size: overall count, elapsed and ETA on top, finished and
// pending categories one line each, the running category's checks below it; never wider than the terminal (the status
// and duration come before the reason, which is what gets cut) nor taller (a window around the running check).
import type { CheckStatus } from '../result/model.js';
import { checkDuration, groupByCategory, statusWord } from './format.js';
import { endWhy } from './progress-plain.js';
import type { CheckSlot, ProgressState } from './progress-state.js';
import { clock, PENDING_ICON, RUNNING_ICON, STATUS_ICON } from './progress-text.js';
import { truncate, type Palette } from './text.js';

export interface LayoutOptions {
  columns: number;
  rows: number;
  p: Palette;
}

const RANK: Record<CheckStatus, number> = { skip: 0, pass: 1, warn: 2, untrusted: 3, fail: 4 };

function icon(s: CheckSlot, p: Palette): string {
  if (s.state === 'running') return p.cyan(RUNNING_ICON);
  if (s.state === 'pending' || !s.result) return p.dim(PENDING_ICON);
  return p.status(s.result.status, STATUS_ICON[s.result.status]);
}

/** One check: icon, id, then status and duration (never cut), then why, cut to the terminal. */
function checkLine(s: CheckSlot, idWidth: number, o: LayoutOptions, now: number): string {
  const lead = `    ${truncate(s.id, idWidth).padEnd(idWidth)}  `;
  let state: string;
  let rest = '';
  if (s.state === 'running') {
    state = `running ${clock(now - (s.startedAt ?? now))}`;
    rest = s.output ?? '';
  } else if (s.state === 'done' && s.result) {
    const d = checkDuration(s.result);
    state = `${statusWord(s.result.status)}${d ? ` ${d}` : ''}`;
    rest = endWhy(s.result);
  } else {
    state = 'pending';
  }
  const room = o.columns - lead.length - state.length - 2;
  const tail = rest && room > 4 ? `  ${truncate(rest, room)}` : '';
  const styled = s.state === 'done' && s.result ? o.p.status(s.result.status, state) : o.p.dim(state);
  return `  ${icon(s, o.p)} ${lead.slice(4)}${styled}${o.p.dim(tail)}`;
}

function categoryLine(category: string, slots: CheckSlot[], o: LayoutOptions): string {
  const done = slots.filter((s) => s.state === 'done');
  const results = done.map((s) => s.result!).filter(Boolean);
  const counts = (['pass', 'warn', 'fail', 'untrusted', 'skip'] as CheckStatus[])
    .map((st) => [st, results.filter((r) => r.status === st).length] as const)
    .filter(([, n]) => n > 0)
    .map(([st, n]) => `${n} ${statusWord(st).toLowerCase()}`);
  let mark = o.p.dim(PENDING_ICON);
  if (slots.some((s) => s.state === 'running')) mark = o.p.cyan(RUNNING_ICON);
  else if (done.length === slots.length && results.length) {
    const worst = results.reduce((w, r) => (RANK[r.status] > RANK[w] ? r.status : w), 'skip' as CheckStatus);
    mark = o.p.status(worst, STATUS_ICON[worst]);
  }
  const ms = results.reduce((n, r) => n + r.durationMs, 0);
  // All skipped for one reason (a service not configured): say it on the category's line.
  const reasons = new Set(results.filter((r) => r.status === 'skip').map((r) => r.reason ?? ''));
  const why = results.length === slots.length && results.every((r) => r.status === 'skip') && reasons.size === 1 ? `: ${[...reasons][0]}` : '';
  const text = `${category} ${done.length}/${slots.length}${counts.length ? ` · ${counts.join(', ')}` : ''}${ms > 0 ? ` · ${checkDuration({ durationMs: ms })}` : ''}${why}`;
  return `${mark} ${truncate(text, o.columns - 2)}`;
}

export function layoutProgress(state: ProgressState, o: LayoutOptions): string[] {
  const now = state.t0 + state.elapsedMs();
  const { done, total } = state.counts();
  const eta = state.etaMs();
  const head = `stackprobe  ${done}/${total} checks · ${clock(state.elapsedMs())} elapsed${eta !== undefined && done < total ? ` · ETA ~${clock(eta)}` : ''}`;
  const lines = [o.p.bold(truncate(head, o.columns))];
  if (state.phase !== 'checks' && state.setup) lines.push(o.p.dim(truncate(`  ${state.setup}`, o.columns)));
  const groups = groupByCategory([...state.slots.values()]);
  const active = groups.find((g) => g.checks.some((s) => s.state === 'running')) ?? groups.find((g) => g.checks.some((s) => s.state === 'pending'));
  const budget = Math.max(3, o.rows - 1);
  const idWidth = Math.min(26, Math.max(8, ...[...state.slots.values()].map((s) => s.id.length)));
  // Finished categories before the active one fold into one line when the terminal is too short for one line each.
  const finished = groups.filter((g) => g !== active && g.checks.every((s) => s.state === 'done'));
  const fold = lines.length + groups.length + 2 > budget && finished.length > 1;
  const body: string[] = [];
  if (fold) body.push(`${o.p.green(STATUS_ICON.pass)} ${truncate(`${finished.length} categories done: ${finished.map((g) => g.category).join(', ')}`, o.columns - 2)}`);
  const shown = fold ? groups.filter((g) => !finished.includes(g)) : groups;
  for (const g of shown) {
    body.push(categoryLine(g.category, g.checks, o));
    if (g !== active) continue;
    const room = Math.max(1, budget - lines.length - shown.length - (fold ? 1 : 0));
    body.push(...checkWindow(g.checks, room, idWidth, o, now));
  }
  return [...lines, ...body].slice(0, budget);
}

/** The active category's checks, at most `room` lines: a window around the running check, with what it hides counted. */
function checkWindow(checks: CheckSlot[], room: number, idWidth: number, o: LayoutOptions, now: number): string[] {
  if (checks.length <= room) return checks.map((s) => checkLine(s, idWidth, o, now));
  const at = Math.max(0, checks.findIndex((s) => s.state !== 'done'));
  const show = Math.max(1, room - 2);
  const start = Math.min(Math.max(0, at - 1), Math.max(0, checks.length - show));
  const out = checks.slice(start, start + show).map((s) => checkLine(s, idWidth, o, now));
  if (start > 0) out.unshift(o.p.dim(`    … ${start} done above`));
  const below = checks.length - start - show;
  if (below > 0) out.push(o.p.dim(`    … ${below} more`));
  return out;
}
