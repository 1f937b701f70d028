// Inflates an HDR histogram as run.json stores it (V2, zlib, base64) within size limits: a histogram read from a file is
// untrusted input, and the library's own decoder inflates without a limit (a 2 MB zlib bomb became gigabytes).
import { inflateSync } from 'node:zlib';

/**
 * The largest inflated histogram accepted. stackprobe's own (3 significant digits, values up to 2^53) have at most
 * ~44,000 counts of at most 9 bytes each (~400 KB) before compression; 1 MiB leaves room and stops a bomb at once.
 */
export const MAX_HISTOGRAM_BYTES = 1024 * 1024;
/** Inflated histograms read from one run.json, in all: bounds the time a file of many small bombs can take. */
export const MAX_HISTOGRAMS_TOTAL_BYTES = 64 * 1024 * 1024;

const COMPRESSED_COOKIE_BASE = 0x1c849304;
const COOKIE_BASE = 0x1c849303;
const HEADER_BYTES = 40;
/** The decoder allocates counts from the header: more digits or a wider range would be a huge allocation, not data. */
const MAX_SIGNIFICANT_DIGITS = 5;

/** Why a histogram cannot be decoded, as a value; the decoder's own errors are not shown to users. */
export class HistogramDecodeError extends Error {
  override readonly name = 'HistogramDecodeError';
}

/** The inflated V2 payload of `encoded`, its header checked; throws HistogramDecodeError. */
export function inflateHistogram(encoded: string, maxBytes = MAX_HISTOGRAM_BYTES): Uint8Array {
  const data = Buffer.from(encoded.trim(), 'base64');
  if (data.length < 8) throw new HistogramDecodeError('a histogram is too short to be one');
  if ((data.readInt32BE(0) & ~0xf0) !== COMPRESSED_COOKIE_BASE) throw new HistogramDecodeError('a histogram is not a compressed V2 HDR histogram');
  const length = data.readInt32BE(4);
  if (length < 0 || 8 + length > data.length) throw new HistogramDecodeError('a histogram\'s compressed length is past its end');
  let raw: Buffer;
  try {
    raw = inflateSync(data.subarray(8, 8 + length), { maxOutputLength: maxBytes });
  } catch (err) {
    const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new HistogramDecodeError(tooLarge ? `a histogram inflates to more than ${maxBytes} bytes` : 'a histogram\'s compressed data is damaged');
  }
  checkHeader(raw);
  return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
}

function checkHeader(raw: Buffer): void {
  if (raw.length < HEADER_BYTES || (raw.readInt32BE(0) & ~0xf0) !== COOKIE_BASE) throw new HistogramDecodeError('a histogram is not a V2 HDR histogram');
  const payload = raw.readInt32BE(4);
  const digits = raw.readInt32BE(12);
  const lowest = Number(raw.readBigInt64BE(16));
  const highest = Number(raw.readBigInt64BE(24));
  if (payload < 0 || HEADER_BYTES + payload > raw.length) throw new HistogramDecodeError('a histogram\'s counts are past its end');
  if (!(digits >= 0 && digits <= MAX_SIGNIFICANT_DIGITS)) throw new HistogramDecodeError(`a histogram has ${digits} significant digits (at most ${MAX_SIGNIFICANT_DIGITS})`);
  if (!(lowest >= 1 && highest >= 2 * lowest && highest <= Number.MAX_SAFE_INTEGER)) throw new HistogramDecodeError('a histogram\'s value range is not one a histogram can have');
  checkCounts(raw, payload, countsLength(digits, lowest, highest));
}

/** The length of the counts array the decoder allocates for these header values (HdrHistogram's arithmetic). */
function countsLength(digits: number, lowest: number, highest: number): number {
  const subBucketCount = 2 ** Math.max(1, Math.ceil(Math.log2(2 * 10 ** digits)));
  let smallestUntrackable = subBucketCount * 2 ** Math.floor(Math.log2(lowest));
  let buckets = 1;
  while (smallestUntrackable <= highest && smallestUntrackable <= Number.MAX_SAFE_INTEGER / 2) {
    smallestUntrackable *= 2;
    buckets++;
  }
  return (buckets + 1) * (subBucketCount / 2);
}

/**
 * Walks the zig-zag encoded counts: a run of zeros is one number, and the decoder then scans every index up to where the
 * runs end, so a few bytes claiming four billion zeros cost minutes of CPU. Each run must stay inside the counts array.
 */
function checkCounts(raw: Buffer, payload: number, length: number): void {
  let at = HEADER_BYTES;
  const end = HEADER_BYTES + payload;
  let index = 0;
  while (at < end) {
    let value = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      if (at >= raw.length) throw new HistogramDecodeError('a histogram\'s counts end in the middle of a number');
      const b = raw[at++]!;
      // At most nine bytes of seven bits, as the library's decoder reads them.
      value += (b & 0x7f) * scale;
      if (i === 8 || (b & 0x80) === 0) break;
      scale *= 128;
    }
    index += value % 2 === 0 ? 1 : (value + 1) / 2;
    if (index > length) throw new HistogramDecodeError(`a histogram's counts run past the ${length} buckets its header declares`);
  }
}

/** Tracks the inflated bytes of every histogram of one file against MAX_HISTOGRAMS_TOTAL_BYTES. */
export class InflateBudget {
  private used = 0;
  constructor(readonly limit = MAX_HISTOGRAMS_TOTAL_BYTES) {}

  inflate(encoded: string): Uint8Array {
    const left = this.limit - this.used;
    let raw: Uint8Array;
    try {
      raw = inflateHistogram(encoded, Math.min(MAX_HISTOGRAM_BYTES, left));
    } catch (err) {
      // Cut short by what is left of the total, not by its own limit: say so.
      if (left < MAX_HISTOGRAM_BYTES && err instanceof HistogramDecodeError && err.message.includes('inflates to more than')) throw this.exceeded();
      throw err;
    }
    this.used += raw.byteLength;
    if (this.used >= this.limit) throw this.exceeded();
    return raw;
  }

  private exceeded(): HistogramDecodeError {
    return new HistogramDecodeError(`the histograms inflate to more than ${this.limit} bytes in all`);
  }
}
