// Several domains hook into every transaction (partner callbacks, traffic, risk); this merges
// their hooks into the one set the payments service calls.

import type { JournalRecord } from '../journal/journal.ts';
import type { TransactionRecord } from './chains.ts';
import type { BusinessPayment, PaymentsHooks } from './context.ts';

export function combineHooks(...all: (PaymentsHooks | undefined)[]): PaymentsHooks {
  const hooks = all.filter((h): h is PaymentsHooks => h !== undefined);
  const validators = hooks.flatMap((h) =>
    h.validateBusinessPayment ? [h.validateBusinessPayment.bind(h)] : [],
  );
  return {
    recordsFor(txn: TransactionRecord): JournalRecord[] {
      return hooks.flatMap((h) => h.recordsFor?.(txn) ?? []);
    },
    committed(txn: TransactionRecord): void {
      for (const h of hooks) h.committed?.(txn);
    },
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
}
