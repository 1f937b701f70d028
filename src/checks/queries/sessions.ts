// The queries checks' measuring sessions: one wire session per VU, opened together, a lost one replaced on demand,
// cancelled on Ctrl-C, closed with the check.
import { openAll } from '../../exec/open-all.js';
import { MeasureSession, type SessionOptions, type SessionTarget } from '../../targets/pg/wire/session.js';

export class QuerySessions {
  private constructor(private readonly target: SessionTarget, private readonly opts: SessionOptions, readonly all: MeasureSession[]) {}

  static async open(target: SessionTarget, n: number, opts: SessionOptions): Promise<QuerySessions> {
    return new QuerySessions(target, opts, await openAll(n, () => MeasureSession.open(target, opts)));
  }

  /** The VU's session, replaced by a new one when the old one was lost (a terminated backend, a restart). */
  async of(vu: number): Promise<MeasureSession> {
    const s = this.all[vu]!;
    if (!s.lost) return s;
    const fresh = await MeasureSession.open(this.target, this.opts);
    this.all[vu] = fresh;
    return fresh;
  }

  /** Asks the server to cancel what every session runs now (Ctrl-C, the check's budget); never throws. */
  cancelAll(): Promise<void> {
    return Promise.all(this.all.map((s) => s.conn.cancel())).then(() => undefined);
  }

  close(): Promise<void> {
    return Promise.all(this.all.map((s) => s.close())).then(() => undefined);
  }
}
