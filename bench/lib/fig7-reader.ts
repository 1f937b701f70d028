// Figure 7: the wire reader on one large row: a DataRow of 1 to 64 MiB fed in 64 KiB reads (a plain socket's read
// size), ms per MiB at each size; linear in the size when the ms per MiB stays flat from 1 to 64 MiB.
import { BackendReader } from '../../src/targets/pg/wire/reader.js';
import { median } from './stats.js';
import type { BenchOptions, Row } from './types.js';

const MIB = 1024 * 1024;
const READ = 64 * 1024;

/** A DataRow ('D') of one text column of `bytes` bytes, whole as the server would send it. */
function dataRow(bytes: number): Buffer {
  const msg = Buffer.alloc(1 + 4 + 2 + 4 + bytes, 0x61);
  msg[0] = 0x44;
  msg.writeInt32BE(4 + 2 + 4 + bytes, 1);
  msg.writeInt16BE(1, 5);
  msg.writeInt32BE(bytes, 7);
  return msg;
}

/** ms to frame the row from 64 KiB reads, copied into one reused read buffer as the socket's onread does. */
function msToFrame(row: Buffer): number {
  let seen = 0;
  const reader = new BackendReader({ onMessage: (_t, _b, start, end) => void (seen += end - start) });
  const buffer = Buffer.allocUnsafe(READ);
  const t0 = process.hrtime.bigint();
  for (let at = 0; at < row.length; at += READ) {
    const n = row.copy(buffer, 0, at, Math.min(row.length, at + READ));
    reader.feed(buffer, n);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (seen === 0) throw new Error('the reader delivered no message');
  return ms;
}

export function figureReader(opts: BenchOptions): Promise<Row[]> {
  const rounds = opts.quick ? 3 : 7;
  const sizes = [1, 4, 16, 64];
  const perMib = new Map<number, number[]>();
  for (const mib of sizes) {
    const row = dataRow(mib * MIB);
    msToFrame(row); // warm-up
    perMib.set(mib, Array.from({ length: rounds }, () => msToFrame(row) / mib));
  }
  const at = (mib: number) => median(perMib.get(mib)!);
  const ratio = at(64) / at(1);
  return Promise.resolve([
    ...sizes.map((mib): Row => ({
      figure: 7, measure: `wire reader, one ${mib} MiB DataRow in 64 KiB reads: ms per MiB`, value: at(mib), unit: 'ms',
      note: `median of ${rounds}; ${(at(mib) * mib).toFixed(1)} ms for the row`, command: 'BackendReader.feed (src/targets/pg/wire/reader.ts)',
      detail: { rounds: perMib.get(mib) },
    })),
    {
      figure: 7, measure: 'wire reader: ms per MiB at 64 MiB ÷ at 1 MiB', value: ratio, unit: '×', target: '≤ 4×', met: ratio <= 4,
      // A reader that copied the pending bytes on every read would cost 64× more per MiB at 64 MiB than at 1 MiB.
      note: 'linear: a per-read copy of the pending bytes would make this 64×', command: 'BackendReader.feed',
    },
  ]);
}
