// The MONITOR line parser the safety tests rely on: a write hidden behind quoting or escapes must still be named.
import { describe, expect, it } from 'vitest';
import { parseMonitorArgs, parseMonitorLine } from '../helpers/redis-monitor.js';

describe('MONITOR lines', () => {
  it('reads the database, the client and the command lower-cased', () => {
    expect(parseMonitorLine('1796529421.864367 [0 127.0.0.1:56102] "INFO"')).toEqual({ db: 0, source: '127.0.0.1:56102', name: 'info', args: [] });
    expect(parseMonitorLine('1796529421.864367 [12 lua] "set" "k" "v"')).toEqual({ db: 12, source: 'lua', name: 'set', args: ['k', 'v'] });
  });

  it('undoes the server\'s escapes inside arguments', () => {
    expect(parseMonitorArgs('"set" "a\\"b" "c\\\\d" "\\x00\\xff" "l1\\r\\nl2" "sp ace"')).toEqual(['set', 'a"b', 'c\\d', '\x00\xff', 'l1\r\nl2', 'sp ace']);
  });

  it('answers nothing for a line that is not a monitored command', () => {
    expect(parseMonitorLine('OK')).toBeUndefined();
  });
});
