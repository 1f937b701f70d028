// Unit tests for the reporters' number formatting and Markdown escaping helpers.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatCounter, formatDuration, formatMs, formatNumber, formatPercent } from '../../src/report/format.js';
import { code, codeCell, escapeCell, escapeInline, table } from '../../src/report/md.js';
import { wrap } from '../../src/report/text.js';

describe('number formatting', () => {
  it('shows milliseconds to three significant digits and large values grouped', () => {
    expect(formatMs(500.223)).toBe('500 ms');
    expect(formatMs(3.125)).toBe('3.13 ms');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(0.041)).toBe('0.041 ms');
    expect(formatMs(1234.5)).toBe('1,235 ms');
    expect(formatMs(Number.NaN)).toBe('–');
  });

  it('gives a counter a per-second rate only when the check declared one', () => {
    expect(formatCounter({ count: 500, unit: 'rows' })).toBe('500 rows');
    expect(formatCounter({ count: 1250, unit: 'count', perSecond: 595.2, meaning: 'count' })).toBe('1,250 (595/s)');
    // Older files (no meaning) carried a rate on every counter; a defect count never gets one.
    expect(formatCounter({ count: 1250, unit: 'count', perSecond: 595.2 })).toBe('1,250');
    expect(formatCounter({ count: 1, unit: 'count', perSecond: 74.5, meaning: 'defects' })).toBe('1');
  });

  it('groups counts by thousands', () => {
    expect(formatNumber(1_234_567)).toBe('1,234,567');
    expect(formatNumber(0)).toBe('0');
  });

  it('never rounds a near miss to 100 % or a rare event to 0 %', () => {
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.9534)).toBe('95.3%');
    expect(formatPercent(0.99999)).toBe('99.999%');
    expect(formatPercent(0.00002)).toBe('0.002%');
  });

  it('formats durations and sizes', () => {
    expect(formatDuration(850.4)).toBe('850 ms');
    expect(formatDuration(2100)).toBe('2.1 s');
    expect(formatDuration(185_000)).toBe('3 min 05 s');
    expect(formatBytes(16 * 1024 ** 3)).toBe('16 GiB');
    expect(formatBytes(512)).toBe('512 B');
  });
});

describe('markdown escaping', () => {
  it('escapes pipes and newlines in table cells', () => {
    expect(escapeCell('a | b\nc')).toBe('a \\| b<br>c');
    expect(codeCell('q{x:a|b}')).toBe('`q{x:a\\|b}`');
  });

  it('keeps code spans intact when the text has backticks', () => {
    expect(code('a`b')).toBe('``a`b``');
  });

  it('keeps free text from turning into HTML, headings or list items', () => {
    expect(escapeInline('<script>x</script>')).toBe('&lt;script>x&lt;/script>');
    expect(escapeInline('# not a heading')).toBe('\\# not a heading');
    expect(escapeInline('line\n- not an item\n2. nor this', '  ')).toBe('line\n  \\- not an item\n  2\\. nor this');
    expect(escapeInline('p(95)<100 stays readable')).toBe('p(95)<100 stays readable');
  });

  it('builds no table for no rows', () => {
    expect(table(['a'], [])).toEqual([]);
    expect(table(['a', 'b'], [['1', '2']], ['left', 'right'])).toEqual(['| a | b |', '| --- | ---: |', '| 1 | 2 |', '']);
  });
});

describe('wrap', () => {
  it('never exceeds the width, breaking words longer than a line', () => {
    const lines = wrap(`short words then ${'x'.repeat(150)} and more`, 40, '  1. ', '     ');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(40);
    expect(lines[0]!.startsWith('  1. short words')).toBe(true);
    expect(lines.join('').replace(/\s/g, '')).toContain('x'.repeat(150).slice(0, 30));
  });
});
