// Small text pieces shared by the progress views: one safe line, clock figures, and each status's icon.
import type { CheckStatus } from '../result/model.js';
import { terminalSafe } from '../util/terminal-safe.js';

/** One terminal-safe line: what a check reports may come from a database (names, errors) and carry escape sequences. */
export function oneLine(text: string): string {
  return terminalSafe(text.replace(/\s*\r?\n\s*/g, ' ')).trim();
}

/** `0:07`, `1:05`, `12:40`: elapsed and remaining time at a glance. */
export function clock(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const min = Math.floor(total / 60);
  return `${min}:${String(total % 60).padStart(2, '0')}`;
}

/** A distinct mark per status, readable without colour: WARN is never shown with PASS's tick. */
export const STATUS_ICON: Record<CheckStatus, string> = { pass: '✔', warn: '▲', fail: '✖', untrusted: '?', skip: '↓' };
export const PENDING_ICON = '·';
export const RUNNING_ICON = '▶';
