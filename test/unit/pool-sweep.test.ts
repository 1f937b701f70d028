// Pure logic of the pool category: sweep sizes and choice, session analysis, config validation of config.pool.
import { describe, expect, it } from 'vitest';
import { analyseSessions, chooseSize, configuredShare, sizesToTry, sweepLimit, type SessionRow, type SweepPoint } from '../../src/checks/pool/index.js';
import { validateConfig } from '../../src/config/load.js';
import { adminUrlFor } from '../../src/targets/pgbouncer/admin.js';

const pt = (size: number, throughput: number, p95 = 10, errorRate = 0): SweepPoint => ({ size, throughput, p95, errorRate });

describe('pool sweep', () => {
  it('tries powers of two up to the limit, the limit, and the configured size when it fits', () => {
    expect(sizesToTry(32, 10)).toEqual([1, 2, 4, 8, 10, 16, 32]);
    expect(sizesToTry(20, 40)).toEqual([1, 2, 4, 8, 16, 20]);
    expect(sizesToTry(1, 10)).toEqual([1]);
  });

  it('takes at most half the free connection slots, never less than one', () => {
    expect(sweepLimit({ maxConnections: 100, reserved: 3, inUse: 5, maxSize: 32 })).toBe(32);
    expect(sweepLimit({ maxConnections: 20, reserved: 3, inUse: 5, maxSize: 32 })).toBe(6);
    expect(sweepLimit({ maxConnections: 10, reserved: 3, inUse: 7, maxSize: 32 })).toBe(1);
  });

  it('chooses the smallest size within the tolerance of the best throughput at an acceptable p95', () => {
    const points = [pt(1, 1000, 80), pt(2, 1900, 40), pt(4, 3000), pt(8, 3100), pt(16, 3150), pt(32, 2900)];
    const c = chooseSize(points, 0.05, 100, 0.01)!;
    expect(c.best.size).toBe(16);
    expect(c.chosen.size).toBe(4);
    expect(c.p95Met).toBe(true);
    // A size whose p95 is too slow is not chosen even when it is fastest.
    expect(chooseSize([pt(1, 1000, 20), pt(2, 2000, 500)], 0.05, 100, 0.01)!.chosen.size).toBe(1);
    // Sizes with errors are left out; nothing working gives no choice.
    expect(chooseSize([pt(1, 1000, 5, 0.5)], 0.05, 100, 0.01)).toBeUndefined();
  });

  it('compares the configured size with the best, estimating from the largest size below it when not swept', () => {
    const points = [pt(1, 500), pt(2, 1000), pt(4, 2000)];
    expect(configuredShare(points, 2, points[2]!)).toEqual({ share: 0.5, measured: true });
    expect(configuredShare(points, 10, points[2]!)).toEqual({ share: 1, measured: false });
  });
});

const row = (over: Partial<SessionRow>): SessionRow => ({
  pid: 1, datname: 'app', usename: 'app', application_name: 'web', client_addr: '10.0.0.5', state: 'idle', state_s: 1, xact_s: null, self: false, ...over,
});

describe('pool.server session analysis', () => {
  it('counts headroom over usable slots and groups long idle-in-transaction sessions by application and client', () => {
    const rows = [
      row({ pid: 1, state: 'active' }),
      row({ pid: 2, state: 'idle in transaction', state_s: 400 }),
      row({ pid: 3, state: 'idle in transaction', state_s: 700 }),
      row({ pid: 4, state: 'idle in transaction (aborted)', state_s: 90, application_name: 'worker', client_addr: null }),
      row({ pid: 5, state: 'idle in transaction', state_s: 10 }),
      row({ pid: 6, state: 'idle', state_s: 5000 }),
      row({ pid: 7, state: 'idle in transaction', state_s: 9000, application_name: 'stackprobe-admin' }),
      row({ pid: 8, state: null, state_s: null }),
    ];
    const a = analyseSessions(rows, { max_connections: 13, superuser_reserved: 3, reserved: 0 }, { idleInTransactionS: 60, longIdleS: 600 });
    expect(a.usable).toBe(10);
    expect(a.used).toBe(8);
    expect(a.headroom).toBeCloseTo(0.2);
    expect(a.byState).toMatchObject({ active: 1, idle_in_transaction: 4, idle_in_transaction_aborted: 1, idle: 1, hidden: 1 });
    expect(a.hidden).toBe(1);
    expect(a.idleInTransaction).toEqual([
      { application: 'web', client: '10.0.0.5', database: 'app', count: 2, longestS: 700 },
      { application: 'worker', client: 'local socket', database: 'app', count: 1, longestS: 90 },
    ]);
    expect(a.longIdle).toEqual([{ application: 'web', client: '10.0.0.5', database: 'app', count: 1, longestS: 5000 }]);
  });
});

describe('config.pool', () => {
  it('rejects a pool size of 0 or below, naming the field', () => {
    for (const size of [0, -3, 2.5]) {
      expect(() => validateConfig({ pool: { size } })).toThrow(/config\.pool\.size: expected a positive integer \(the pool size\)/);
    }
    expect(() => validateConfig({ pool: { pgbouncer_admin_url: 'http://x' } })).toThrow(/config\.pool\.pgbouncer_admin_url: expected a PostgreSQL URL/);
    expect(() => validateConfig({ pool: { sweep: { tolerance: 2 } } })).toThrow(/config\.pool\.sweep\.tolerance/);
    expect(validateConfig({}).pool).toMatchObject({ size: 10, contention_factor: 4, sweep: { max_size: 32, tolerance: 0.05 } });
  });

  it('finds the admin console next to a database URL', () => {
    expect(adminUrlFor('postgres://u:p@db:6432/app?sslmode=require')).toBe('postgres://u:p@db:6432/pgbouncer?sslmode=require');
  });
});
