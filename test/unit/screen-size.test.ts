// The size the end-of-run summary fits: a terminal's own, else COLUMNS and LINES, else 80×24.
import { describe, expect, it } from 'vitest';
import { screenSize } from '../../src/cli/tty.js';

const stream = (s: object) => s as unknown as NodeJS.WritableStream;

describe('screenSize', () => {
  it('takes a terminal\'s own size over the environment', () => {
    expect(screenSize(stream({ isTTY: true, columns: 132, rows: 50 }), { COLUMNS: '80', LINES: '24' })).toEqual({ columns: 132, rows: 50 });
  });
  it('off a terminal, COLUMNS and LINES as exported; else 80×24', () => {
    expect(screenSize(stream({}), { COLUMNS: '120', LINES: '40' })).toEqual({ columns: 120, rows: 40 });
    expect(screenSize(stream({ columns: 200, rows: 90 }), {})).toEqual({ columns: 80, rows: 24 });
    for (const bad of ['', '0', '-3', '80.5', 'wide']) expect(screenSize(stream({}), { COLUMNS: bad, LINES: bad })).toEqual({ columns: 80, rows: 24 });
  });
});
