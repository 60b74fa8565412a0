// The platform's SecurityCredential key pair and certificate: generated at first start, kept in
// the data folder, and served to partners (GET /daraja/certificate.cer), who encrypt their
// initiator passwords with it as they do with Safaricom's SandboxCertificate.cer.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CredentialDecryptor,
  createCredentialDecryptor,
  generateCredentialAuthority,
} from '../security-credential.ts';

export const CERTIFICATE_FILE = 'daraja-certificate.cer';
export const PRIVATE_KEY_FILE = 'daraja-credential-key.pem';
/** Ten years: partners embed the certificate in their deployments, so it must not churn. */
export const CERTIFICATE_VALIDITY_DAYS = 3650;

export interface PlatformCredentials {
  readonly certificatePem: string;
  readonly decryptor: CredentialDecryptor;
}

export async function loadOrCreateCredentials(
  dataDir: string,
  sandbox: boolean,
): Promise<PlatformCredentials> {
  const certPath = join(dataDir, CERTIFICATE_FILE);
  const keyPath = join(dataDir, PRIVATE_KEY_FILE);
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    const authority = await generateCredentialAuthority({
      commonName: sandbox ? 'Malipo Sandbox Security Credential' : 'Malipo Security Credential',
      organizationName: 'Malipo',
      validityDays: CERTIFICATE_VALIDITY_DAYS,
    });
    // Key first, each through a rename: a crash never leaves a certificate without its key.
    writeAtomically(keyPath, authority.privateKeyPem, 0o600);
    writeAtomically(certPath, authority.certificatePem, 0o644);
  }
  const certificatePem = readFileSync(certPath, 'utf8');
  let decryptor: CredentialDecryptor;
  try {
    decryptor = createCredentialDecryptor(readFileSync(keyPath, 'utf8'));
  } catch (error) {
    // Partners encrypt with the certificate beside it: a new key would refuse their credentials.
    throw new Error(
      `the initiator credential key ${keyPath} is damaged (${(error as Error).message}): restore it from a backup; or move it and ${certPath} aside to make a new pair, after which partners must download the new certificate and re-encrypt their initiator passwords`,
      { cause: error },
    );
  }
  return { certificatePem, decryptor };
}

function writeAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, text, { mode });
  renameSync(temporary, path);
}
