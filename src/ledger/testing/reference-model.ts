// A small, obviously-correct model of the ledger's semantics, for property tests only.
// It keeps everything in plain maps, copies the whole state before each linked chain and puts it
// back if the chain fails, and re-checks every rule in the order the specification lists them.
// It is slow on purpose: clarity is its only job.

import {
  type AccountInput,
  type AccountResultCode,
  ID_LENGTH_MAX,
  MICROS_PER_SECOND,
  OWNER_ID_LENGTH_MAX,
  type PendingStatus,
  TIMEOUT_SECONDS_MAX,
  type TransferInput,
  type TransferResultCode,
  USER_REF_LENGTH_MAX,
} from '../model.ts';

const LINKED = 1;
const PENDING = 2;
const POST = 4;
const VOID = 8;
const BAL_DEBIT = 16;
const BAL_CREDIT = 32;
const ALL_FLAGS = 63;
const SAFE = Number.MAX_SAFE_INTEGER;

interface RefAccount {
  id: string;
  ledger: number;
  code: number;
  flags: number;
  ownerId: string;
  userData: number;
  dp: number; // debits pending
  dP: number; // debits posted
  cp: number; // credits pending
  cP: number; // credits posted
}

interface RefTransfer {
  id: string;
  dr: string;
  cr: string;
  amount: number;
  pendingId: string;
  ledger: number;
  code: number;
  flags: number;
  timeout: number;
  userRef: string;
  userData: number;
  ts: number;
}

interface RefState {
  accounts: Record<string, RefAccount>;
  transfers: Record<string, RefTransfer>;
  status: Record<string, PendingStatus>;
  last: number;
}

export interface RefOutcome {
  code: TransferResultCode;
  timestamp: number;
  amount: number;
}

const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export class ReferenceLedger {
  state: RefState = { accounts: {}, transfers: {}, status: {}, last: 0 };

  private tick(now: number): number {
    this.state.last = Math.max(now, this.state.last + 1);
    return this.state.last;
  }

  createAccounts(inputs: AccountInput[], now: number): AccountResultCode[] {
    return inputs.map((a) => {
      if (typeof a.id !== 'string' || a.id === '') return 'id_must_not_be_empty';
      if (a.id.length > ID_LENGTH_MAX) return 'id_too_long';
      const flags = a.flags ?? 0;
      if (!isCount(flags) || flags > 3) return 'flags_are_invalid';
      if (flags === 3) return 'flags_are_mutually_exclusive';
      if (!isCount(a.ledger) || a.ledger === 0) return 'ledger_must_not_be_zero';
      if (!isCount(a.code) || a.code === 0) return 'code_must_not_be_zero';
      if ((a.ownerId ?? '').length > OWNER_ID_LENGTH_MAX) return 'owner_id_too_long';
      if (a.userData !== undefined && !isCount(a.userData)) return 'user_data_invalid';
      const old = this.state.accounts[a.id];
      if (old) {
        const same =
          old.ledger === a.ledger &&
          old.code === a.code &&
          old.flags === flags &&
          old.ownerId === (a.ownerId ?? '') &&
          old.userData === (a.userData ?? 0);
        return same ? 'exists' : 'exists_with_different_fields';
      }
      this.tick(now);
      this.state.accounts[a.id] = {
        id: a.id,
        ledger: a.ledger,
        code: a.code,
        flags,
        ownerId: a.ownerId ?? '',
        userData: a.userData ?? 0,
        dp: 0,
        dP: 0,
        cp: 0,
        cP: 0,
      };
      return 'ok';
    });
  }

  expire(now: number): void {
    const due = Object.values(this.state.transfers)
      .filter((t) => this.state.status[t.id] === 'pending' && t.timeout > 0)
      .filter((t) => t.ts + t.timeout * MICROS_PER_SECOND <= now);
    for (const t of due) {
      this.state.accounts[t.dr].dp -= t.amount;
      this.state.accounts[t.cr].cp -= t.amount;
      this.state.status[t.id] = 'expired';
      this.tick(now);
    }
  }

  createTransfers(events: TransferInput[], now: number): RefOutcome[] {
    const out: RefOutcome[] = [];
    let i = 0;
    while (i < events.length) {
      let j = i;
      while (j < events.length - 1 && ((events[j].flags ?? 0) & LINKED) !== 0) j++;
      const chain = events.slice(i, j + 1);
      const open = ((events[j].flags ?? 0) & LINKED) !== 0;
      if (open) {
        for (let k = i; k <= j; k++)
          out.push(fail(k === j ? 'linked_event_chain_open' : 'linked_event_failed'));
      } else {
        out.push(...this.chain(chain, now));
      }
      i = j + 1;
    }
    return out;
  }

  private chain(chain: TransferInput[], now: number): RefOutcome[] {
    const saved = structuredClone(this.state);
    const results: RefOutcome[] = [];
    for (let k = 0; k < chain.length; k++) {
      const r = this.one(chain[k], now);
      if (r.code !== 'ok' && r.code !== 'exists') {
        this.state = saved;
        return chain.map((_, m) => fail(m === k ? r.code : 'linked_event_failed'));
      }
      results.push(r);
    }
    return results;
  }

  private one(e: TransferInput, now: number): RefOutcome {
    const flags = e.flags ?? 0;
    if (typeof e.id !== 'string' || e.id === '') return fail('id_must_not_be_empty');
    if (e.id.length > ID_LENGTH_MAX) return fail('id_too_long');
    if (!isCount(flags) || (flags & ~ALL_FLAGS) !== 0) return fail('flags_are_invalid');
    const phases = [PENDING, POST, VOID].filter((f) => flags & f).length;
    if (phases > 1) return fail('flags_are_mutually_exclusive');
    if (flags & (BAL_DEBIT | BAL_CREDIT) && flags & (POST | VOID)) {
      return fail('flags_are_mutually_exclusive');
    }
    if (!isCount(e.amount)) return fail('amount_invalid');
    if ((e.userRef ?? '').length > USER_REF_LENGTH_MAX) return fail('user_ref_too_long');
    if (e.userData !== undefined && !isCount(e.userData)) return fail('user_data_invalid');
    const timeout = e.timeoutSeconds ?? 0;
    if (!isCount(timeout)) return fail('timeout_too_large');
    return flags & (POST | VOID)
      ? this.resolve(e, flags, timeout, now)
      : this.plain(e, flags, timeout, now);
  }

  private plain(e: TransferInput, flags: number, timeout: number, now: number): RefOutcome {
    if (!e.debitAccountId) return fail('debit_account_id_must_not_be_empty');
    if (!e.creditAccountId) return fail('credit_account_id_must_not_be_empty');
    if (e.debitAccountId === e.creditAccountId) return fail('accounts_must_be_different');
    if (e.pendingId) return fail('pending_id_must_be_empty');
    if (timeout !== 0 && !(flags & PENDING)) return fail('timeout_reserved_for_pending_transfer');
    if (timeout > TIMEOUT_SECONDS_MAX) return fail('timeout_too_large');
    if (e.amount === 0) return fail('amount_must_not_be_zero');
    if (!isCount(e.ledger) || e.ledger === 0) return fail('ledger_must_not_be_zero');
    if (!isCount(e.code) || e.code === 0) return fail('code_must_not_be_zero');
    const old = this.state.transfers[e.id];
    if (old) {
      const same =
        old.flags === flags &&
        old.userRef === (e.userRef ?? '') &&
        old.userData === (e.userData ?? 0) &&
        old.dr === e.debitAccountId &&
        old.cr === e.creditAccountId &&
        (flags & (BAL_DEBIT | BAL_CREDIT) ? old.amount <= e.amount : old.amount === e.amount) &&
        old.pendingId === '' &&
        old.ledger === e.ledger &&
        old.code === e.code &&
        old.timeout === timeout;
      return same
        ? { code: 'exists', timestamp: old.ts, amount: old.amount }
        : fail('exists_with_different_fields');
    }
    const dr = this.state.accounts[e.debitAccountId];
    if (!dr) return fail('debit_account_not_found');
    const cr = this.state.accounts[e.creditAccountId];
    if (!cr) return fail('credit_account_not_found');
    if (dr.ledger !== cr.ledger) return fail('accounts_must_have_the_same_ledger');
    if (e.ledger !== dr.ledger) return fail('transfer_must_have_the_same_ledger_as_accounts');
    let amount = e.amount;
    if (flags & BAL_DEBIT) amount = Math.max(0, Math.min(amount, dr.cP - dr.dP - dr.dp));
    if (flags & BAL_CREDIT) amount = Math.max(0, Math.min(amount, cr.dP - cr.cP - cr.cp));
    const pending = (flags & PENDING) !== 0;
    if (dr.dp + dr.dP + amount > SAFE || cr.cp + cr.cP + amount > SAFE) return fail('overflow');
    if (dr.flags & 1 && dr.dp + dr.dP + amount > dr.cP) return fail('exceeds_credits');
    if (cr.flags & 2 && cr.cp + cr.cP + amount > cr.dP) return fail('exceeds_debits');
    const ts = this.tick(now);
    if (pending && ts + timeout * MICROS_PER_SECOND > SAFE) return fail('overflow');
    if (pending) {
      dr.dp += amount;
      cr.cp += amount;
      this.state.status[e.id] = 'pending';
    } else {
      dr.dP += amount;
      cr.cP += amount;
    }
    this.state.transfers[e.id] = {
      id: e.id,
      dr: dr.id,
      cr: cr.id,
      amount,
      pendingId: '',
      ledger: e.ledger,
      code: e.code,
      flags,
      timeout,
      userRef: e.userRef ?? '',
      userData: e.userData ?? 0,
      ts,
    };
    return { code: 'ok', timestamp: ts, amount };
  }

  private resolve(e: TransferInput, flags: number, timeout: number, now: number): RefOutcome {
    if (!e.pendingId) return fail('pending_id_must_not_be_empty');
    if (e.pendingId === e.id) return fail('pending_id_must_be_different');
    if (timeout !== 0) return fail('timeout_reserved_for_pending_transfer');
    if (e.ledger !== undefined && !isCount(e.ledger)) return fail('ledger_must_not_be_zero');
    if (e.code !== undefined && !isCount(e.code)) return fail('code_must_not_be_zero');
    const p = this.state.transfers[e.pendingId];
    if (!p) return fail('pending_transfer_not_found');
    if (!(p.flags & PENDING)) return fail('pending_transfer_not_pending');
    const old = this.state.transfers[e.id];
    if (old) {
      const same =
        old.flags === flags &&
        old.userRef === (e.userRef ?? '') &&
        old.userData === (e.userData ?? 0) &&
        old.pendingId === e.pendingId &&
        (!e.debitAccountId || e.debitAccountId === old.dr) &&
        (!e.creditAccountId || e.creditAccountId === old.cr) &&
        (!e.ledger || e.ledger === old.ledger) &&
        (!e.code || e.code === old.code) &&
        (e.amount === 0 || e.amount === old.amount);
      return same
        ? { code: 'exists', timestamp: old.ts, amount: old.amount }
        : fail('exists_with_different_fields');
    }
    if (e.debitAccountId && e.debitAccountId !== p.dr)
      return fail('pending_transfer_has_different_debit_account_id');
    if (e.creditAccountId && e.creditAccountId !== p.cr)
      return fail('pending_transfer_has_different_credit_account_id');
    if (e.ledger && e.ledger !== p.ledger) return fail('pending_transfer_has_different_ledger');
    if (e.code && e.code !== p.code) return fail('pending_transfer_has_different_code');
    const status = this.state.status[p.id];
    if (status === 'posted') return fail('pending_transfer_already_posted');
    if (status === 'voided') return fail('pending_transfer_already_voided');
    if (status === 'expired') return fail('pending_transfer_expired');
    const ts = this.tick(now);
    if (p.timeout > 0 && p.ts + p.timeout * MICROS_PER_SECOND <= ts)
      return fail('pending_transfer_expired');
    let amount: number;
    if (flags & VOID) {
      if (e.amount !== 0 && e.amount !== p.amount)
        return fail('pending_transfer_has_different_amount');
      amount = p.amount;
    } else {
      if (e.amount > p.amount) return fail('exceeds_pending_transfer_amount');
      amount = e.amount === 0 ? p.amount : e.amount;
    }
    const posted = flags & VOID ? 0 : amount;
    const dr = this.state.accounts[p.dr];
    const cr = this.state.accounts[p.cr];
    if (dr.dP + posted > SAFE || cr.cP + posted > SAFE) return fail('overflow');
    dr.dp -= p.amount;
    cr.cp -= p.amount;
    dr.dP += posted;
    cr.cP += posted;
    this.state.status[p.id] = flags & VOID ? 'voided' : 'posted';
    this.state.transfers[e.id] = {
      id: e.id,
      dr: p.dr,
      cr: p.cr,
      amount,
      pendingId: p.id,
      ledger: p.ledger,
      code: e.code || p.code,
      flags,
      timeout: 0,
      userRef: e.userRef ?? '',
      userData: e.userData ?? 0,
      ts,
    };
    return { code: 'ok', timestamp: ts, amount };
  }
}

function fail(code: TransferResultCode): RefOutcome {
  return { code, timestamp: 0, amount: 0 };
}
