// Credentials never leave the process: URLs and password=… in free text are masked.
import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../../src/util/redact.js';

describe('redaction', () => {
  it('masks the password of a URL and secret query parameters', () => {
    expect(redactUrl('postgres://app:s3cret@db:5432/app?sslmode=require')).toBe('postgres://app:***@db:5432/app?sslmode=require');
    expect(redactUrl('redis://:pw@cache:6379/0')).toBe('redis://:***@cache:6379/0');
    expect(redactUrl('amqp://u@h/?password=x')).toBe('amqp://u@h/?password=***');
    expect(redactUrl('not a url with secret')).toBe('***');
  });

  it('masks URLs and password=… inside messages', () => {
    expect(redactText('connect to postgres://a:b@h/d failed; password=hunter2 user=x')).toBe('connect to postgres://a:***@h/d failed; password=*** user=x');
  });
});
