import { describe, expect, it } from 'vitest';
import { ABANDONED_AFTER_MS, isAbandonedReplyKey, newReplyKey } from '../../src/targets/celery/reply-key.js';

describe('control reply keys', () => {
  const end = Date.UTC(2026, 11, 6, 12);

  it('name their broadcast\'s end and are abandoned only once the grace after it is past', () => {
    const key = newReplyKey(end);
    expect(key).toMatch(/^stackprobe-reply-\d{13}-[0-9a-f-]{36}$/);
    expect(isAbandonedReplyKey(key, end)).toBe(false);
    expect(isAbandonedReplyKey(key, end + ABANDONED_AFTER_MS)).toBe(false);
    expect(isAbandonedReplyKey(key, end + ABANDONED_AFTER_MS + 1)).toBe(true);
    expect(newReplyKey(end)).not.toBe(key);
  });

  it('never call another client\'s key abandoned, however old', () => {
    const late = end + 100 * ABANDONED_AFTER_MS;
    for (const key of [
      '3f1c1f5e-0c7e-4a53-9a57-2c1b7d2b9e10', // Celery's own inspect client: a bare uuid
      'stackprobe-reply-1-3f1c1f5e-0c7e-4a53-9a57-2c1b7d2b9e10', // not a millisecond timestamp
      `stackprobe-reply-${end}-not-a-uuid`,
      `xstackprobe-reply-${end}-3f1c1f5e-0c7e-4a53-9a57-2c1b7d2b9e10`,
      `stackprobe-reply-${end}-3f1c1f5e-0c7e-4a53-9a57-2c1b7d2b9e10.extra`,
      '',
    ]) expect(isAbandonedReplyKey(key, late), key).toBe(false);
  });
});
