// An in-memory stand-in for the journal's prefetch answers, for state-machine tests that need
// no disk: it remembers what each batch committed and answers `missing` the way a journal would.
// The real journals (src/journal) run the same protocol against SQLite and PostgreSQL.

import type { PendingStatus, Transfer, TransferInput } from '../model.ts';
import type { LedgerState, PendingLookup, StateChanges, TransferOutcome } from '../state.ts';

export class MemoryJournal {
  readonly transfers = new Map<number, Transfer>();
  readonly status = new Map<string, PendingStatus>();

  append(changes: StateChanges): void {
    for (const { transfer } of changes.transfers) {
      this.transfers.set(transfer.timestamp, transfer);
      if (transfer.flags & 2) this.status.set(transfer.id, 'pending');
      if (transfer.flags & 4) this.status.set(transfer.pendingId, 'posted');
      if (transfer.flags & 8) this.status.set(transfer.pendingId, 'voided');
    }
    for (const expiry of changes.expiries) this.status.set(expiry.pendingId, 'expired');
  }

  /** Answers the state machine's `missing` question by timestamp, then installs the answers. */
  prefetch(state: LedgerState, events: readonly TransferInput[]): void {
    const { transferTs, pendingTs } = state.missing(events);
    const found = transferTs.flatMap((ts) => this.transfers.get(ts) ?? []);
    const pendings: PendingLookup[] = pendingTs.flatMap((ts) => {
      const transfer = this.transfers.get(ts);
      if (transfer === undefined) return [];
      return [{ transfer, status: this.status.get(transfer.id) ?? 'pending' }];
    });
    state.warm(found, pendings);
  }
}

/** One writer cycle without I/O: expire, prefetch, apply each submission, hand over changes. */
export function runCycle(
  state: LedgerState,
  journal: MemoryJournal,
  submissions: readonly (readonly TransferInput[])[],
  nowUs: number,
): { outcomes: TransferOutcome[][]; changes: StateChanges } {
  state.expire(nowUs);
  journal.prefetch(state, submissions.flat());
  const outcomes = submissions.map((events) => state.createTransfers(events, nowUs));
  const changes = state.takeChanges();
  journal.append(changes);
  return { outcomes, changes };
}
