// Named maxima and window sizes of the risk domain. Everything the feature store keeps is bounded
// by these: a party's state has a fixed size, and the number of parties is capped.

/** Outgoing and incoming events remembered per party (each direction). Windows saturate here. */
export const RING_EVENTS = 32;
/** Distinct counterparties remembered per party for "new recipient"; the least recent is dropped. */
export const PEERS_REMEMBERED = 32;
/** Parties tracked by default (customers, agents, tills, businesses): about 1.5 KB each. */
export const PARTIES_TRACKED_DEFAULT = 100_000;
/** No configuration may track more parties than this in one process. */
export const PARTIES_TRACKED_LIMIT = 5_000_000;
/** Slots allocated at start; the table doubles up to its capacity as parties arrive. */
export const PARTIES_INITIAL_SLOTS = 1_024;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
/** The velocity windows: 1 min, 10 min, 1 h, 24 h. */
export const WINDOW_1M_MS = MINUTE_MS;
export const WINDOW_10M_MS = 10 * MINUTE_MS;
export const WINDOW_1H_MS = HOUR_MS;
export const WINDOW_24H_MS = DAY_MS;

/** SIM swaps and device changes older than this are no longer a signal (CAMARA's maxAge tops at 2,400 h). */
export const TAKEOVER_SIGNAL_MAX_MS = 100 * DAY_MS;
/** A payer's amount history counts at most this many transactions, so it follows changes in habit. */
export const HISTORY_WEIGHT_MAX = 200;
/** Ratios are capped so one tiny denominator cannot produce an absurd value. */
export const RATIO_MAX = 100;
/** Two amounts within this fraction of each other count as "the same amount". */
export const SAME_AMOUNT_TOLERANCE = 0.02;
/** An amount in the top tenth of its commission band counts as "just under the next band". */
export const NEAR_BAND_TOP_POSITION = 0.9;

/** Records read back from the journal at start-up to warm the features, at most. */
export const REPLAY_RECORDS_MAX = 1_000_000;
/** Records read back by default: two days of a busy shard (the reads are one query). */
export const REPLAY_RECORDS_DEFAULT = 200_000;
/** Only records this recent matter to any window or recency feature worth warming. */
export const REPLAY_WINDOW_MS_DEFAULT = 2 * DAY_MS;

/** Rules in one configuration, conditions per rule, and blocklist entries. */
export const RULES_MAX = 256;
export const RULE_CONDITIONS_MAX = 16;
export const BLOCKLIST_ENTRIES_MAX = 1_000_000;
export const RULE_NAME_CHARS_MAX = 64;

/** Reasons attached to one decision. */
export const DECISION_REASONS_DEFAULT = 5;
