// SecurityCredential: the initiator password, RSA-encrypted by the partner with the public key
// of our X.509 certificate (PKCS#1 v1.5 padding, not OAEP), then base64 (§2).
//
// Library choice: node-forge, for both jobs Node's crypto cannot do here.
// - Certificates: Node can generate the key pair (we do, natively) but cannot build an X.509
//   certificate. node-forge can, with no native code. @peculiar/x509 could too, but it signs
//   through WebCrypto, and WebCrypto has no RSAES-PKCS1-v1_5 decryption, so we would still need
//   forge for the next point. One library, not two.
// - Decryption: Node 20 refuses `privateDecrypt` with RSA_PKCS1_PADDING (CVE-2023-46809, the
//   Marvin timing attack) unless started with --security-revert=CVE-2023-46809, a flag Node 22+
//   no longer has. Hand-written unpadding is what the CVE is about, so we do not write one:
//   node-forge's `privateKey.decrypt(bytes, 'RSAES-PKCS1-V1_5')` does it.
//
// Costs and risks, measured on the 2-vCPU dev box: forge's pure-JS RSA-2048 decryption takes
// ~42 ms (OpenSSL: <1 ms) and is not constant-time, so it is still Marvin-shaped. Hence:
// 1. `createCredentialDecryptor` prefers Node's native decryption whenever the runtime allows
//    it (an OpenSSL with implicit rejection, as in newer Node lines, or an operator's explicit
//    --security-revert), probing once at start-up; forge is the Node 20 default.
// 2. `SecurityCredentialCache` remembers outcomes per ciphertext: partners reuse one credential
//    string for every request (D-B2C FAQ 21), so steady-state traffic decrypts nothing.
// 3. The initiator model (initiator.ts) locks an initiator after a few failures, which caps the
//    number of oracle queries an attacker gets per initiator far below what Marvin needs.
// The key pair should move to a KMS/HSM asymmetric-decrypt operation in production.
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  X509Certificate,
} from 'node:crypto';
import forge from 'node-forge';
import { hasControlCharacters, SECURITY_CREDENTIAL_CHARS_MAX } from './coerce.ts';
import { BoundedLruCache } from './lru.ts';

export const CREDENTIAL_KEY_BITS_DEFAULT = 2048;
export const CREDENTIAL_KEY_BITS_ALLOWED: readonly number[] = Object.freeze([2048, 3072, 4096]);
export const CERTIFICATE_VALIDITY_DAYS_MAX = 3650;
/** X.520's upper bound for a common name. */
export const CERTIFICATE_COMMON_NAME_CHARS_MAX = 64;
/** Longest decrypted password we pass on; initiator passwords are far shorter. */
export const CREDENTIAL_PLAINTEXT_BYTES_MAX = 256;

const MS_PER_DAY = 86_400_000;
const SERIAL_NUMBER_BYTES = 16;

export interface CredentialAuthorityOptions {
  /** e.g. "Malipo Sandbox Security Credential". */
  readonly commonName: string;
  readonly validityDays: number;
  readonly organizationName?: string;
  readonly keyBits?: number;
  /** Start of validity; now by default. Injectable so tests can pin dates. */
  readonly notBeforeMs?: number;
}

export interface CredentialAuthority {
  /** Published to partners (the equivalent of Safaricom's ProductionCertificate.cer). */
  readonly certificatePem: string;
  /** PKCS#8. Stays server-side. */
  readonly privateKeyPem: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** SHA-256 fingerprint, colon-separated hex, as `openssl x509 -fingerprint` prints it. */
  readonly fingerprintSha256: string;
}

function checkAuthorityOptions(options: CredentialAuthorityOptions): void {
  const { commonName, validityDays } = options;
  const keyBits = options.keyBits ?? CREDENTIAL_KEY_BITS_DEFAULT;
  if (
    commonName.length < 1 ||
    commonName.length > CERTIFICATE_COMMON_NAME_CHARS_MAX ||
    hasControlCharacters(commonName)
  ) {
    throw new RangeError(
      `commonName must be 1..${CERTIFICATE_COMMON_NAME_CHARS_MAX} printable characters`,
    );
  }
  if (
    !Number.isSafeInteger(validityDays) ||
    validityDays < 1 ||
    validityDays > CERTIFICATE_VALIDITY_DAYS_MAX
  ) {
    throw new RangeError(`validityDays must be 1..${CERTIFICATE_VALIDITY_DAYS_MAX}`);
  }
  if (!CREDENTIAL_KEY_BITS_ALLOWED.includes(keyBits)) {
    throw new RangeError(`keyBits must be one of ${CREDENTIAL_KEY_BITS_ALLOWED.join(', ')}`);
  }
}

function generateRsaKeyPair(keyBits: number): Promise<{ publicPem: string; privatePem: string }> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      {
        modulusLength: keyBits,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      },
      (err, publicPem, privatePem) => (err ? reject(err) : resolve({ publicPem, privatePem })),
    );
  });
}

/**
 * The platform's SecurityCredential key pair and self-signed certificate, made at first start.
 * Key generation is Node's (native, off the event loop); forge only assembles and signs the
 * certificate. Invalid options are a configuration bug and throw.
 */
export async function generateCredentialAuthority(
  options: CredentialAuthorityOptions,
): Promise<CredentialAuthority> {
  checkAuthorityOptions(options);
  const { publicPem, privatePem } = await generateRsaKeyPair(
    options.keyBits ?? CREDENTIAL_KEY_BITS_DEFAULT,
  );
  // X.509 times have one-second resolution; truncate so the PEM and the returned bounds agree.
  const notBeforeMs = Math.floor((options.notBeforeMs ?? Date.now()) / 1000) * 1000;
  const notAfterMs = notBeforeMs + options.validityDays * MS_PER_DAY;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  // A leading 0x01 byte keeps the DER integer positive and the full length (RFC 5280 §4.1.2.2).
  cert.serialNumber = `01${randomBytes(SERIAL_NUMBER_BYTES - 1).toString('hex')}`;
  cert.validity.notBefore = new Date(notBeforeMs);
  cert.validity.notAfter = new Date(notAfterMs);
  const name = [{ name: 'commonName', value: options.commonName }];
  if (options.organizationName !== undefined) {
    name.push({ name: 'organizationName', value: options.organizationName });
  }
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privatePem), forge.md.sha256.create());
  const certificatePem = forge.pki.certificateToPem(cert);
  const fingerprintSha256 = new X509Certificate(certificatePem).fingerprint256;
  return { certificatePem, privateKeyPem: privatePem, notBeforeMs, notAfterMs, fingerprintSha256 };
}

/**
 * What a partner's code does to make a SecurityCredential: encrypt the raw password bytes (not
 * their base64, despite the docs' wording, §2) with the certificate's key, PKCS#1 v1.5, base64.
 * Used by tests and by the developer portal's "generate credential" tool.
 */
export function encryptInitiatorPassword(certificatePem: string, password: string): string {
  const publicKey = new X509Certificate(certificatePem).publicKey;
  const ciphertext = publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_PADDING },
    Buffer.from(password, 'utf8'),
  );
  return ciphertext.toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Decryption

export type CredentialDecryption =
  | { readonly ok: true; readonly password: string }
  | {
      readonly ok: false;
      readonly problem: 'not_base64' | 'wrong_length' | 'undecryptable' | 'not_utf8';
    };

export type DecryptionEngine = 'native' | 'forge';

export interface CredentialDecryptor {
  /** Which implementation runs; log it at start-up. */
  readonly engine: DecryptionEngine;
  readonly modulusBytes: number;
  decrypt(securityCredential: string): CredentialDecryption;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * True when this runtime's `privateDecrypt` accepts RSA_PKCS1_PADDING: OpenSSL with implicit
 * rejection (constant-time), or Node 20 started with --security-revert=CVE-2023-46809.
 */
export function nativePkcs1DecryptionAvailable(privateKeyPem: string): boolean {
  const probe = Buffer.from('malipo-probe', 'utf8');
  const publicKey = createPublicKey(privateKeyPem);
  const ciphertext = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, probe);
  try {
    const plain = privateDecrypt(
      { key: privateKeyPem, padding: constants.RSA_PKCS1_PADDING },
      ciphertext,
    );
    return plain.equals(probe);
  } catch {
    return false;
  }
}

export interface DecryptorOptions {
  /** 'auto' (default): native when available, else forge. */
  readonly engine?: 'auto' | DecryptionEngine;
}

/** Builds the decryptor once at start-up; a private key that does not parse throws. */
export function createCredentialDecryptor(
  privateKeyPem: string,
  options: DecryptorOptions = {},
): CredentialDecryptor {
  const keyObject = createPrivateKey(privateKeyPem);
  const modulusBits = keyObject.asymmetricKeyDetails?.modulusLength;
  if (keyObject.asymmetricKeyType !== 'rsa' || modulusBits === undefined) {
    throw new Error('the SecurityCredential key must be an RSA private key');
  }
  const wanted = options.engine ?? 'auto';
  const nativeOk = wanted !== 'forge' && nativePkcs1DecryptionAvailable(privateKeyPem);
  if (wanted === 'native' && !nativeOk) {
    throw new Error(
      'native PKCS#1 v1.5 decryption is unavailable in this runtime (CVE-2023-46809)',
    );
  }
  const engine: DecryptionEngine = nativeOk ? 'native' : 'forge';
  const rsaDecrypt =
    engine === 'native' ? nativeDecryptor(privateKeyPem) : forgeDecryptor(privateKeyPem);
  const modulusBytes = modulusBits / 8;
  return {
    engine,
    modulusBytes,
    decrypt: (securityCredential) => decryptWith(rsaDecrypt, modulusBytes, securityCredential),
  };
}

/** Returns the plaintext, or null when the padding is invalid. */
type RsaDecrypt = (ciphertext: Buffer) => Buffer | null;

function nativeDecryptor(privateKeyPem: string): RsaDecrypt {
  const key = createPrivateKey(privateKeyPem);
  return (ciphertext) => {
    try {
      return privateDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, ciphertext);
    } catch {
      return null;
    }
  };
}

function forgeDecryptor(privateKeyPem: string): RsaDecrypt {
  const key = forge.pki.privateKeyFromPem(privateKeyPem);
  return (ciphertext) => {
    try {
      // forge works on "binary" strings (one char per byte).
      return Buffer.from(key.decrypt(ciphertext.toString('binary'), 'RSAES-PKCS1-V1_5'), 'binary');
    } catch {
      return null;
    }
  };
}

function decryptWith(
  rsaDecrypt: RsaDecrypt,
  modulusBytes: number,
  securityCredential: string,
): CredentialDecryption {
  if (
    securityCredential.length === 0 ||
    securityCredential.length > SECURITY_CREDENTIAL_CHARS_MAX ||
    !BASE64.test(securityCredential)
  ) {
    return { ok: false, problem: 'not_base64' };
  }
  const ciphertext = Buffer.from(securityCredential, 'base64');
  if (ciphertext.length !== modulusBytes) return { ok: false, problem: 'wrong_length' };
  const plain = rsaDecrypt(ciphertext);
  if (plain === null || plain.length === 0 || plain.length > CREDENTIAL_PLAINTEXT_BYTES_MAX) {
    return { ok: false, problem: 'undecryptable' };
  }
  try {
    return { ok: true, password: new TextDecoder('utf-8', { fatal: true }).decode(plain) };
  } catch {
    return { ok: false, problem: 'not_utf8' };
  }
}

// ---------------------------------------------------------------------------------------------
// Cache

export const CREDENTIAL_CACHE_ENTRIES_MAX_DEFAULT = 10_000;

/**
 * What we remember about one ciphertext. Deliberately not the decrypted password: an outcome
 * bound to the initiator's current password hash is all a repeat request needs, and a password
 * change (new salted hash) invalidates it without any bookkeeping.
 */
export type CachedCredential =
  | { readonly kind: 'undecryptable' }
  | {
      readonly kind: 'verified' | 'rejected';
      readonly initiatorKey: string;
      readonly passwordHash: string;
    };

/**
 * Bounded LRU from SHA-256(ciphertext) to outcome. Keys are hashes so the cache holds no
 * replayable credential and each key costs 43 bytes instead of ~344.
 */
export class SecurityCredentialCache {
  readonly #entries: BoundedLruCache<string, CachedCredential>;

  constructor(maxEntries: number = CREDENTIAL_CACHE_ENTRIES_MAX_DEFAULT) {
    this.#entries = new BoundedLruCache(maxEntries);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(securityCredential: string): CachedCredential | undefined {
    return this.#entries.get(cacheKey(securityCredential));
  }

  set(securityCredential: string, outcome: CachedCredential): void {
    this.#entries.set(cacheKey(securityCredential), outcome);
  }
}

function cacheKey(securityCredential: string): string {
  return createHash('sha256').update(securityCredential, 'utf8').digest('base64url');
}
