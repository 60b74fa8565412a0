import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  authenticateInitiator,
  COMMAND_ROLES,
  createInitiator,
  DEFAULT_INITIATOR_POLICY,
  type InitiatorPolicy,
  type InitiatorRecord,
  initiatorPasswordProblem,
  setInitiatorPassword,
  unlockInitiator,
} from './initiator.ts';
import {
  type CredentialAuthority,
  type CredentialDecryptor,
  createCredentialDecryptor,
  encryptInitiatorPassword,
  generateCredentialAuthority,
  SecurityCredentialCache,
} from './security-credential.ts';

// Cheapest scrypt the shared helper allows: these tests are about the state machine.
const POLICY: InitiatorPolicy = {
  ...DEFAULT_INITIATOR_POLICY,
  failedAttemptsMax: 3,
  scrypt: { ...DEFAULT_INITIATOR_POLICY.scrypt, cost: 1024 },
};
const PASSWORD = 'Safaricom999!*!';
const NOW_MS = Date.UTC(2026, 0, 10, 9, 0, 0);
const DAY_MS = 86_400_000;

let authority: CredentialAuthority;
let initiator: InitiatorRecord;
let realDecryptor: CredentialDecryptor;

before(async () => {
  authority = await generateCredentialAuthority({ commonName: 'Test', validityDays: 30 });
  realDecryptor = createCredentialDecryptor(authority.privateKeyPem);
  const setup = await createInitiator(
    {
      name: 'testapi',
      shortcode: '600000',
      password: PASSWORD,
      roles: ['b2c', 'status'],
      nowMs: NOW_MS,
    },
    POLICY,
  );
  assert.ok(setup.ok);
  initiator = setup.initiator;
});

/** The real decryptor, counting how often it is asked: the cache must spare it. */
function countingDeps() {
  const counter = { decrypts: 0 };
  const decryptor: CredentialDecryptor = {
    engine: realDecryptor.engine,
    modulusBytes: realDecryptor.modulusBytes,
    decrypt(credential) {
      counter.decrypts++;
      return realDecryptor.decrypt(credential);
    },
  };
  return { counter, deps: { decryptor, cache: new SecurityCredentialCache(100), policy: POLICY } };
}

const credentialFor = (password: string) =>
  encryptInitiatorPassword(authority.certificatePem, password);

describe('initiator set-up', () => {
  it('stores a salted scrypt hash, never the password', () => {
    assert.match(initiator.passwordHash, /^scrypt\$1024\$8\$1\$/);
    assert.ok(!initiator.passwordHash.includes(PASSWORD));
    assert.deepEqual(
      { ...initiator, passwordHash: '' },
      {
        name: 'testapi',
        shortcode: '600000',
        passwordHash: '',
        roles: ['b2c', 'status'],
        failedAttempts: 0,
        lockedAtMs: null,
        passwordSetAtMs: NOW_MS,
      },
    );
  });

  it('applies M-Pesa password rules', () => {
    assert.equal(initiatorPasswordProblem('Pa$$w0rd#&%'), null);
    assert.match(initiatorPasswordProblem('short') ?? '', /characters/);
    assert.match(initiatorPasswordProblem('with(paren)s') ?? '', /\(/);
    assert.match(initiatorPasswordProblem('with space') ?? '', /printable/);
    assert.match(initiatorPasswordProblem('x'.repeat(65)) ?? '', /characters/);
  });

  it('refuses bad names, roles and passwords as values', async () => {
    const base = {
      name: 'ops',
      shortcode: '600000',
      password: PASSWORD,
      roles: ['b2c'] as const,
      nowMs: NOW_MS,
    };
    assert.equal((await createInitiator({ ...base, name: '' }, POLICY)).ok, false);
    assert.equal((await createInitiator({ ...base, roles: [] }, POLICY)).ok, false);
    const weak = await createInitiator({ ...base, password: 'abc' }, POLICY);
    assert.equal(weak.ok ? null : weak.problem, 'password_policy');
  });

  it('maps every initiator CommandID to a role', () => {
    assert.equal(COMMAND_ROLES.BusinessPayment, 'b2c');
    assert.equal(COMMAND_ROLES.TransactionReversal, 'reversal');
    assert.equal(COMMAND_ROLES.PayTaxToKRA, 'tax');
  });
});

describe('authenticateInitiator', () => {
  it('accepts the right credential and serves repeats from the cache', async () => {
    const { counter, deps } = countingDeps();
    const credential = credentialFor(PASSWORD);
    const request = {
      initiator,
      securityCredential: credential,
      requiredRole: 'b2c' as const,
      nowMs: NOW_MS,
    };
    assert.deepEqual(await authenticateInitiator(request, deps), {
      ok: true,
      initiator,
      changed: false,
    });
    assert.deepEqual(await authenticateInitiator(request, deps), {
      ok: true,
      initiator,
      changed: false,
    });
    assert.equal(counter.decrypts, 1, 'second request decrypted nothing');
  });

  it('answers a wrong password with 2001 and counts it', async () => {
    const { deps } = countingDeps();
    const request = {
      initiator,
      securityCredential: credentialFor('Wrong999!*!'),
      requiredRole: 'b2c' as const,
      nowMs: NOW_MS,
    };
    const outcome = await authenticateInitiator(request, deps);
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.failure, 'wrong_credential');
    assert.deepEqual(outcome.result, { code: 2001, desc: 'The initiator information is invalid.' });
    assert.equal(outcome.changed, true);
    assert.equal(outcome.initiator?.failedAttempts, 1);
    assert.equal(outcome.initiator?.lockedAtMs, null);
  });

  it('locks after the configured failures, then answers 8006 without decrypting', async () => {
    const { counter, deps } = countingDeps();
    let record = initiator;
    for (let attempt = 1; attempt <= POLICY.failedAttemptsMax; attempt++) {
      const request = {
        initiator: record,
        securityCredential: credentialFor(`Wrong${attempt}!pass`),
        requiredRole: 'b2c' as const,
        nowMs: NOW_MS + attempt,
      };
      const outcome = await authenticateInitiator(request, deps);
      assert.equal(outcome.ok ? null : outcome.result.code, 2001);
      record = outcome.initiator!;
    }
    assert.equal(record.failedAttempts, 3);
    assert.equal(record.lockedAtMs, NOW_MS + 3);
    const decryptsBefore = counter.decrypts;
    const locked = await authenticateInitiator(
      {
        initiator: record,
        securityCredential: credentialFor(PASSWORD),
        requiredRole: 'b2c',
        nowMs: NOW_MS + 10,
      },
      deps,
    );
    assert.equal(locked.ok ? null : locked.result.code, 8006);
    assert.equal(locked.ok ? null : locked.result.desc, 'The security credential is locked.');
    assert.equal(counter.decrypts, decryptsBefore, 'a locked initiator costs no decryption');
    const unlocked = unlockInitiator(record);
    const retry = await authenticateInitiator(
      {
        initiator: unlocked,
        securityCredential: credentialFor(PASSWORD),
        requiredRole: 'b2c',
        nowMs: NOW_MS + 11,
      },
      deps,
    );
    assert.equal(retry.ok, true);
  });

  it('resets the failure counter on success', async () => {
    const { deps } = countingDeps();
    const oneFailure = { ...initiator, failedAttempts: 2 };
    const outcome = await authenticateInitiator(
      {
        initiator: oneFailure,
        securityCredential: credentialFor(PASSWORD),
        requiredRole: 'status',
        nowMs: NOW_MS,
      },
      deps,
    );
    assert.deepEqual(outcome, {
      ok: true,
      initiator: { ...initiator, failedAttempts: 0 },
      changed: true,
    });
  });

  it('answers a missing role with 21 after a correct credential', async () => {
    const { deps } = countingDeps();
    const outcome = await authenticateInitiator(
      {
        initiator,
        securityCredential: credentialFor(PASSWORD),
        requiredRole: 'reversal',
        nowMs: NOW_MS,
      },
      deps,
    );
    assert.equal(outcome.ok ? null : outcome.failure, 'role_missing');
    assert.deepEqual(outcome.ok ? null : outcome.result, {
      code: 21,
      desc: 'The initiator is not allowed to initiate this request.',
    });
  });

  it('answers an unknown initiator with 20 and an expired password with 2001', async () => {
    const { deps } = countingDeps();
    const unknown = await authenticateInitiator(
      {
        initiator: null,
        securityCredential: credentialFor(PASSWORD),
        requiredRole: 'b2c',
        nowMs: NOW_MS,
      },
      deps,
    );
    assert.equal(unknown.ok ? null : unknown.result.code, 20);
    const later = NOW_MS + 91 * DAY_MS;
    const expired = await authenticateInitiator(
      { initiator, securityCredential: credentialFor(PASSWORD), requiredRole: 'b2c', nowMs: later },
      deps,
    );
    assert.equal(expired.ok ? null : expired.failure, 'password_expired');
    assert.equal(expired.ok ? null : expired.result.code, 2001);
    const noExpiry = { ...deps, policy: { ...POLICY, passwordLifetimeMs: null } };
    assert.equal(
      (
        await authenticateInitiator(
          {
            initiator,
            securityCredential: credentialFor(PASSWORD),
            requiredRole: 'b2c',
            nowMs: later,
          },
          noExpiry,
        )
      ).ok,
      true,
    );
  });

  it('caches undecryptable credentials and does not let a cached verdict outlive a password change', async () => {
    const { counter, deps } = countingDeps();
    const junk = Buffer.alloc(256, 9).toString('base64');
    const request = {
      initiator,
      securityCredential: junk,
      requiredRole: 'b2c' as const,
      nowMs: NOW_MS,
    };
    await authenticateInitiator(request, deps);
    await authenticateInitiator(request, deps);
    assert.equal(counter.decrypts, 1, 'junk decrypted once');

    const credential = credentialFor(PASSWORD);
    assert.equal(
      (await authenticateInitiator({ ...request, securityCredential: credential }, deps)).ok,
      true,
    );
    const changed = await setInitiatorPassword(
      initiator,
      'NewPassword#2026',
      NOW_MS + DAY_MS,
      POLICY,
    );
    assert.ok(changed.ok);
    const stale = await authenticateInitiator(
      { ...request, initiator: changed.initiator, securityCredential: credential },
      deps,
    );
    assert.equal(stale.ok ? null : stale.result.code, 2001, 'the old password no longer works');
    const fresh = await authenticateInitiator(
      {
        ...request,
        initiator: changed.initiator,
        securityCredential: credentialFor('NewPassword#2026'),
        nowMs: NOW_MS + DAY_MS,
      },
      deps,
    );
    assert.equal(fresh.ok, true);
  });

  it("does not let one initiator ride on another one's cached verdict", async () => {
    const { deps } = countingDeps();
    const credential = credentialFor(PASSWORD);
    assert.equal(
      (
        await authenticateInitiator(
          { initiator, securityCredential: credential, requiredRole: 'b2c', nowMs: NOW_MS },
          deps,
        )
      ).ok,
      true,
    );
    const setup = await createInitiator(
      {
        name: 'other',
        shortcode: '600001',
        password: 'Different#pw1',
        roles: ['b2c'],
        nowMs: NOW_MS,
      },
      POLICY,
    );
    assert.ok(setup.ok);
    const other = await authenticateInitiator(
      {
        initiator: setup.initiator,
        securityCredential: credential,
        requiredRole: 'b2c',
        nowMs: NOW_MS,
      },
      deps,
    );
    assert.equal(other.ok ? null : other.result.code, 2001);
  });
});
