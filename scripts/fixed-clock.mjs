// Preload (`node --import ./scripts/fixed-clock.mjs`) that moves the wall clock to a chosen
// instant so date-sensitive suites can be run at a month end, a leap day or a year end whatever
// today is. Set MALIPO_TEST_NOW to an ISO instant ("2028-02-29T20:59:00Z"); without it this
// module does nothing.
//
// The clock keeps advancing from that instant: tests wait on real timers, and a frozen clock would
// hang every retry loop and hide bugs at a day boundary crossed mid-run. MALIPO_TEST_NOW_ANCHOR
// (real epoch ms) pins the moment that maps to MALIPO_TEST_NOW, so every process of one run (the
// test runner's children, the servers they spawn) shares one timeline instead of each restarting
// at the chosen instant. Only Date is moved: performance.now and timers are monotonic and
// unaffected, and PostgreSQL's own now() keeps the host's time.
const target = process.env.MALIPO_TEST_NOW;
if (target) {
  const RealDate = globalThis.Date;
  const targetMs = RealDate.parse(target);
  if (Number.isNaN(targetMs)) {
    throw new Error(
      `MALIPO_TEST_NOW=${target} is not an ISO date-time (e.g. 2028-02-29T20:59:00Z)`,
    );
  }
  const anchor = process.env.MALIPO_TEST_NOW_ANCHOR;
  const anchorMs = anchor === undefined ? RealDate.now() : Number(anchor);
  if (!Number.isFinite(anchorMs)) {
    throw new Error(`MALIPO_TEST_NOW_ANCHOR=${anchor} is not epoch milliseconds`);
  }
  const offsetMs = targetMs - anchorMs;
  const now = () => RealDate.now() + offsetMs;
  // A Proxy keeps Date.UTC, Date.parse, the prototype and instanceof exactly as they were; only
  // the two ways of reading "now" change: Date.now(), and new Date() / Date() without arguments.
  globalThis.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [now()] : args, newTarget);
    },
    apply() {
      return new RealDate(now()).toString();
    },
    get(target, key, receiver) {
      if (key === 'now') return now;
      return Reflect.get(target, key, receiver);
    },
  });
}
