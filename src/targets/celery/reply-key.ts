// The routing key of a control broadcast's private reply queue. On Redis that queue is a binding-set member and a list
// that only the broadcasting run removes; a run killed mid-broadcast leaves both behind forever. So the key carries the
// moment its broadcast was over, and any later run may remove a binding of ours that is long past it.
import { randomUUID } from 'node:crypto';

const PREFIX = 'stackprobe-reply-';
const OURS = /^stackprobe-reply-(\d{13,})-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * How long past its end a broadcast's binding is kept before another run may take it away: far more than the
 * broadcast's own clean-up (a few bounded commands) and than any sane clock difference between two hosts that share
 * a broker (the end is the sender's wall clock, the check is the reaper's).
 */
export const ABANDONED_AFTER_MS = 10 * 60_000;

/** A fresh reply key for a broadcast that collects replies until `endsAtMs` (epoch ms, this host's clock). */
export function newReplyKey(endsAtMs: number): string {
  return `${PREFIX}${Math.ceil(endsAtMs)}-${randomUUID()}`;
}

/** Whether a reply routing key is one of stackprobe's, of a broadcast over for longer than ABANDONED_AFTER_MS at `nowMs`. */
export function isAbandonedReplyKey(key: string, nowMs: number): boolean {
  const m = OURS.exec(key);
  return m !== null && Number(m[1]) + ABANDONED_AFTER_MS < nowMs;
}
