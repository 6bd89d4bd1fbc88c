/**
 * The sandbox's own CA and a server certificate for 127.0.0.1/localhost, created once per data
 * directory. Clients trust the CA through NODE_EXTRA_CA_CERTS=<dataDir>/ca.pem.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import forge from "node-forge";
import { SERVER_KEY_FILE } from "./runtime";

export interface ServerTls {
  caPath: string;
  cert: string;
  key: string;
}

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

export function ensureCertificates(dataDir: string): ServerTls {
  const caPath = join(dataDir, "ca.pem");
  const certPath = join(dataDir, "server.pem");
  const keyPath = join(dataDir, SERVER_KEY_FILE);
  if (!existsSync(caPath) || !existsSync(certPath) || !existsSync(keyPath)) {
    // A unique name per data directory: two sandbox CAs with one name would shadow each other in a trust store.
    const ca = createCertificate({ commonName: `coexist sandbox CA ${randomBytes(4).toString("hex")}` });
    const server = createCertificate({ commonName: "127.0.0.1", issuer: ca });
    writeFileSync(caPath, ca.certPem, { mode: 0o644 });
    writeFileSync(certPath, server.certPem + ca.certPem, { mode: 0o644 });
    writeFileSync(keyPath, server.keyPem, { mode: 0o600 });
  }
  return { caPath, cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8") };
}

interface Issued {
  certPem: string;
  keyPem: string;
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

function createCertificate(options: { commonName: string; issuer?: Issued }): Issued {
  // node:crypto generates the key (forge's pure-JS RSA generation takes seconds); forge writes the certificate.
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = `01${randomBytes(8).toString("hex")}`;
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600 * 1000);
  cert.validity.notAfter = new Date(Date.now() + TEN_YEARS_MS);
  const subject = [{ name: "commonName", value: options.commonName }, { name: "organizationName", value: "coexist sandbox" }];
  cert.setSubject(subject);
  cert.setIssuer(options.issuer ? options.issuer.cert.subject.attributes : subject);
  cert.setExtensions(
    options.issuer
      ? [
          { name: "basicConstraints", cA: false },
          { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
          { name: "extKeyUsage", serverAuth: true },
          { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
        ]
      : [
          { name: "basicConstraints", cA: true, critical: true },
          { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
        ],
  );
  cert.sign(options.issuer ? options.issuer.key : key, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem, cert, key };
}

const trusted = new Set<string>();

/**
 * Makes this process trust the sandbox's CA (`<data dir>/ca.pem`). NODE_EXTRA_CA_CERTS is read
 * when a process starts, and a process that starts a sandbox (a test, `coexist rehearse`) starts
 * before the sandbox creates its CA; so the CA is added to every default TLS context instead.
 */
export function trustCa(caPath: string): void {
  const pem = readFileSync(caPath, "utf8");
  if (trusted.has(pem)) return;
  trusted.add(pem);
  const original = tls.createSecureContext;
  tls.createSecureContext = (options?: tls.SecureContextOptions) => {
    const context = original(options);
    if (!options?.ca) (context.context as { addCACert(pem: string): void }).addCACert(pem);
    return context;
  };
}
