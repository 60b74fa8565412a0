import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refusalCodes } from '../../payments/model.ts';
import { RESULT_CODES } from '../errors.ts';
import { type ResultContext, resultForRefusal } from './result-codes.ts';

const CONTEXTS: readonly ResultContext[] = ['stk', 'b2c', 'b2b', 'reversal'];

describe('refusal → Daraja result code', () => {
  it('maps every refusal, in every API, to a code other than 17 "System internal error."', () => {
    for (const context of CONTEXTS) {
      for (const error of refusalCodes) {
        const result = resultForRefusal(context, { error, message: 'm' });
        assert.notEqual(result.code, RESULT_CODES.internalFailure.code, `${context}/${error}`);
        assert.notEqual(result.code, 0, `${context}/${error} must not read as success`);
        assert.ok(result.desc.length > 0, `${context}/${error}`);
      }
    }
  });

  it('says which risk decision it was', () => {
    const blocked = resultForRefusal('stk', { error: 'blocked', message: '' });
    assert.deepEqual(blocked, RESULT_CODES.declinedByRisk);
    assert.match(blocked.desc, /risk rule/);
    const stepUp = resultForRefusal('stk', { error: 'step_up_required', message: '' });
    assert.deepEqual(stepUp, RESULT_CODES.verificationRequired);
  });

  it("keeps a Validation URL's own rejection code", () => {
    const result = resultForRefusal('stk', {
      error: 'invalid_request',
      message: 'c2b-validation:C2B00012',
    });
    assert.deepEqual(result, { code: 'C2B00012', desc: 'Invalid Account Number' });
  });
});
