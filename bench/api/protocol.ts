// What the receiver child (peers.ts) and the bench say to each other over IPC. Kept apart from
// peers.ts, whose import would start a peer.

/** What kind of callback arrived, by path. */
export const CALLBACK_KIND = { validation: 0, confirmation: 1, result: 2, timeout: 3, other: 4 };

/** Callbacks received since the last 'take', column-wise. */
export interface ReceivedBatch {
  readonly kinds: number[];
  /** BillRefNumber for C2B, ConversationID for results and time-outs. */
  readonly ids: string[];
  /** TransID (C2B) or TransactionID (results). */
  readonly receipts: string[];
  /** ResultCode of results (0 = success); 0 for C2B. */
  readonly codes: number[];
  readonly arrivedAtWallMs: Float64Array;
  /** Deliveries of a journal seq seen before (at-least-once duplicates). */
  readonly duplicates: number;
  readonly unreadable: number;
}

export type ParentMessage = { type: 'take' } | { type: 'stop' };
