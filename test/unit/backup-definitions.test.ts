// Pure logic of the round trip's definition comparison: which objects are candidates for the by-meaning comparison, which pg_dump leaves out on purpose, and the two-form excerpt a finding shows.
import { describe, expect, it } from 'vitest';
import { contrast } from '../../src/checks/backup/contrast.js';
import { compareText, defKey, leftOutByDesign, type Definition, type Definitions } from '../../src/checks/backup/definitions.js';

const def = (kind: string, name: string, body: string | null, more: Partial<Definition> = {}): Definition => ({
  kind, name, fixed: '', body, schema: 'public', rel: 't', member: name.split('.').at(-1)!, args: null, flag: null, ...more,
});
const side = (...defs: Definition[]): Definitions => new Map(defs.map((d) => [defKey(d), d]));

describe('compareText', () => {
  it('sends only definitions printed differently on to the by-meaning comparison', () => {
    const src = side(def('column', 'public.t.a', 'now()'), def('constraint', 'public.t.c', `CHECK (((k)::text = ANY ((ARRAY['a'::character varying])::text[])))`));
    const dst = side(def('column', 'public.t.a', 'now()'), def('constraint', 'public.t.c', `CHECK (((k)::text = ANY (ARRAY[('a'::character varying)::text])))`));
    expect(compareText(src, dst)).toEqual({ diffs: [], candidates: ['constraint\tpublic.t.c'] });
  });

  it('tells a missing object from an invalid index pg_dump leaves out on purpose, and names extra ones', () => {
    const invalid = def('index', 'public.t_uq', 'CREATE UNIQUE INDEX t_uq ON public.t USING btree (k)', { flag: 'invalid' });
    const src = side(invalid, def('index', 'public.t_k', 'CREATE INDEX t_k ON public.t USING btree (k)'), def('trigger', 'public.t.tg', 'CREATE TRIGGER …'));
    const dst = side(def('trigger', 'public.t.tg', 'CREATE TRIGGER …'), def('rule', 'public.t.r', 'CREATE RULE …'));
    expect(compareText(src, dst).diffs).toEqual([
      { kind: 'index', name: 'public.t_uq', what: 'left out by design' },
      { kind: 'index', name: 'public.t_k', what: 'missing' },
      { kind: 'rule', name: 'public.t.r', what: 'extra' },
    ]);
    expect(leftOutByDesign(invalid)).toBe('invalid');
    // Only an index: a flag on another kind means something else (a generated column).
    expect(leftOutByDesign(def('column', 'public.t.g', 'x', { flag: 'generated' }))).toBeUndefined();
  });

  it('compares the fixed part too: a column whose type changed is a candidate even with the same default', () => {
    const src = side(def('column', 'public.t.a', '0', { fixed: 'integer true' }));
    const dst = side(def('column', 'public.t.a', '0', { fixed: 'bigint true' }));
    expect(compareText(src, dst).candidates).toEqual(['column\tpublic.t.a']);
  });
});

describe('contrast', () => {
  it('cuts both forms down to where they differ, starting at a word, on one line', () => {
    const s = `CASE\n    WHEN ((kind)::text = ANY ((ARRAY['debit'::character varying, 'fee'::character varying])::text[])) THEN '-1'::integer\n    ELSE 1\nEND`;
    const r = `CASE\n    WHEN ((kind)::text = ANY ((ARRAY['debit'::character varying])::text[])) THEN '-1'::integer\n    ELSE 1\nEND`;
    const c = contrast(s, r);
    expect(c.source).toBe(`…((ARRAY['debit'::character varying, 'fee'::character varying])::text[])) THEN '-1'::integer …`);
    expect(c.restored).toBe(`…((ARRAY['debit'::character varying])::text[])) THEN '-1'::integer …`);
  });

  it('shows short forms whole and caps long ones', () => {
    expect(contrast('CURRENT_DATE', '(CURRENT_DATE - 1)')).toEqual({ source: 'CURRENT_DATE', restored: '(CURRENT_DATE - 1)' });
    expect(contrast("'EUR'::bpchar", '(none)')).toEqual({ source: "'EUR'::bpchar", restored: '(none)' });
    const long = contrast(`x ${'a'.repeat(300)}`, `y ${'a'.repeat(300)}`, 40);
    expect(long.source.length).toBeLessThanOrEqual(41);
    expect(long.source).toMatch(/^x a+…$/);
    expect(long.restored).toMatch(/^y a+…$/);
  });
});
