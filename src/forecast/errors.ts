// Expected outcomes the caller must handle. A misconfiguration (an invalid option) is a bug and
// throws a RangeError instead.

export type ForecastError =
  | {
      code: 'insufficient_history';
      /** Complete, mostly observed local days available before the forecast starts. */
      historyDays: number;
      requiredDays: number;
    }
  | {
      code: 'slot_mismatch';
      historySlotMinutes: number;
      forecastSlotMinutes: number;
    };

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };
