// Values the portal shares with the server. routes.test.ts checks them against the server's own
// tables, so a change there cannot leave the page offering a choice the API refuses.

/** How a sandbox test customer answers STK push prompts (TEST_BEHAVIOUR_MODES on the server). */
export const TEST_BEHAVIOUR_MODES = [
  ['manual', 'Waits for you (USSD or malipo stk)'],
  ['approve', 'Approves with the right PIN'],
  ['cancel', 'Cancels (1032)'],
  ['unreachable', 'Is unreachable (1037)'],
  ['wrong_pin', 'Enters a wrong PIN (2001)'],
  ['insufficient_funds', 'Cannot pay (1)'],
];

/** The longest delay a test customer may wait before answering (TEST_BEHAVIOUR_DELAY_MS_MAX). */
export const TEST_BEHAVIOUR_DELAY_MS_MAX = 60_000;

/** Where the portal's API lives. */
export const PORTAL_API = '/portal/api';
