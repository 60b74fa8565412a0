// Several domains hook into every transaction (partner callbacks, traffic, risk); this merges
// their hooks into the one set the payments service calls.

import type { JournalRecord } from '../journal/journal.ts';
import type { TransactionRecord } from './chains.ts';
import type { BusinessPayment, PaymentsHooks } from './context.ts';
import type { HoldEnd } from './review.ts';

/** Lists the hook sets a combined set was made of, so an owner can check that its own is in. */
export const COMBINED_PARTS = Symbol('combined hook parts');

/** True when `installed` is `hooks` or a combination that includes it. */
export function hooksInstalled(
  installed: PaymentsHooks | undefined,
  hooks: PaymentsHooks,
): boolean {
  if (installed === hooks) return true;
  const parts = (installed as { [COMBINED_PARTS]?: PaymentsHooks[] } | undefined)?.[COMBINED_PARTS];
  return parts?.includes(hooks) ?? false;
}

export function combineHooks(...all: (PaymentsHooks | undefined)[]): PaymentsHooks {
  const hooks = all.filter((h): h is PaymentsHooks => h !== undefined);
  const validators = hooks.flatMap((h) =>
    h.validateBusinessPayment ? [h.validateBusinessPayment.bind(h)] : [],
  );
  const assessors = hooks.flatMap((h) => (h.assess ? [h.assess.bind(h)] : []));
  const combined: PaymentsHooks & { [COMBINED_PARTS]: PaymentsHooks[] } = {
    [COMBINED_PARTS]: hooks,
    recordsFor(txn: TransactionRecord): JournalRecord[] {
      return hooks.flatMap((h) => h.recordsFor?.(txn) ?? []);
    },
    committed(txn: TransactionRecord): void {
      for (const h of hooks) h.committed?.(txn);
    },
    recordsForRejected(txn: TransactionRecord, reason: HoldEnd): JournalRecord[] {
      return hooks.flatMap((h) => h.recordsForRejected?.(txn, reason) ?? []);
    },
    // One risk engine decides; a second assessor would be a configuration mistake.
    ...(assessors.length === 1 ? { assess: assessors[0] } : {}),
    ...(validators.length === 0
      ? {}
      : {
          async validateBusinessPayment(payment: BusinessPayment) {
            for (const validate of validators) {
              const verdict = await validate(payment);
              if (!verdict.accept) return verdict;
            }
            return { accept: true as const };
          },
        }),
  };
  return combined;
}
