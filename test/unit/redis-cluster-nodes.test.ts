// CLUSTER NODES parsed into the masters and the slots each serves, and the run's key prefix made to carry a hash tag.
import { describe, expect, it } from 'vitest';
import { parseClusterNodes } from '../../src/targets/redis/info.js';
import { clusterKeyPrefix, prefixHashTag } from '../../src/targets/redis/keys.js';

// Redis 7.0's form: a replica, a master mid-migration, a failed master with no address, a hostname after the bus port.
const NODES = [
  '07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,cache-4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected',
  '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922',
  '292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master - 0 1426238318243 3 connected 10923-16383',
  'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5000 5001 5002-5460 [5461->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]',
  '6ec23923021cf3ffec47632106199cb7f496ce01 :0@0 master,fail,noaddr - 1426238316232 1426238315233 5 disconnected',
  '',
].join('\n');

describe('parseClusterNodes', () => {
  it('keeps the masters with an address, their slot ranges in slot order, and leaves migrating slots out', () => {
    const masters = parseClusterNodes(NODES);
    expect(masters.map((m) => m.address)).toEqual(['127.0.0.1:30001', '127.0.0.1:30002', '127.0.0.1:30003']);
    expect(masters[0]).toMatchObject({ port: 30001, host: '127.0.0.1', slots: [[0, 5000], [5001, 5001], [5002, 5460]], slotCount: 5461 });
    expect(masters.reduce((n, m) => n + m.slotCount, 0)).toBe(16384);
    expect(masters[0]!.flags).toContain('myself');
  });

  it('reads an IPv6 address', () => {
    const [m] = parseClusterNodes('abc [::1]:7000@17000 master - 0 0 1 connected 0-16383');
    expect(m).toMatchObject({ host: '::1', port: 7000, address: '[::1]:7000', slotCount: 16384 });
  });
});

describe('clusterKeyPrefix', () => {
  it('puts the run id in a hash tag, and keeps a prefix that already fixes one', () => {
    expect(clusterKeyPrefix('stackprobe:ab12cd34ef:')).toBe('stackprobe:{ab12cd34ef}:');
    expect(prefixHashTag('stackprobe:{ab12cd34ef}:')).toBe('ab12cd34ef');
    expect(clusterKeyPrefix('app:{tenant}:ab12:')).toBe('app:{tenant}:ab12:');
  });

  it('knows an empty tag or an unclosed brace fixes nothing', () => {
    expect(prefixHashTag('a{}b:')).toBeUndefined();
    expect(prefixHashTag('a{b:')).toBeUndefined();
    // `{` then the run id's `}`: the tag is fixed by the prefix, whatever follows it.
    expect(prefixHashTag(clusterKeyPrefix('a{b:ab12:'))).toBe('b:{ab12');
  });
});
