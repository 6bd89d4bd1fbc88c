import type { System } from "./types";

/** Addresses and domains are compared case-insensitively (RFC 5321 treats domains so; both tenants treat local parts so). */
export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

/** The domain of an address, lower-cased: `Alice@Contoso.com` → `contoso.com`. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

export function localPartOf(address: string): string {
  return address.slice(0, address.lastIndexOf("@"));
}

/** A normalized address with one `@` between a non-empty local part and a domain. */
export function isAddress(address: string): boolean {
  return /^[^@\s]+@[^@\s.][^@\s]*$/.test(address);
}

/** `sub.contoso.com` is a subdomain of `contoso.com`; a domain is not a subdomain of itself. */
export function isSubdomainOf(domain: string, parent: string): boolean {
  return domain.endsWith(`.${parent}`);
}

const GOOGLE_HOST_SUFFIXES = [".google.com", ".googlemail.com"];
const EXCHANGE_HOST_SUFFIXES = [".mail.protection.outlook.com", ".mx.microsoft"];

/**
 * Which system an MX or smart host belongs to: Google (`smtp.google.com`, `aspmx.l.google.com`,
 * `aspmx2.googlemail.com`), Exchange Online Protection (`contoso-com.mail.protection.outlook.com`,
 * `contoso-com.a1b2.mx.microsoft`), or `internet` for any host outside both tenants.
 */
export function systemForHost(host: string): System {
  const name = `.${host.trim().toLowerCase().replace(/\.$/, "")}`;
  if (GOOGLE_HOST_SUFFIXES.some((suffix) => name.endsWith(suffix))) return "google";
  if (EXCHANGE_HOST_SUFFIXES.some((suffix) => name.endsWith(suffix))) return "exchange";
  return "internet";
}

/**
 * The classic Exchange Online Protection MX host of a domain, as Microsoft publishes it: the domain
 * with its dots replaced by dashes, under `mail.protection.outlook.com` (`Contoso.com` →
 * `contoso-com.mail.protection.outlook.com`). A tenant may hand out an `mx.microsoft` host instead;
 * where the real value matters, read it from Graph (serviceConfigurationRecords).
 */
export function microsoftMxHost(domain: string): string {
  return `${domain.toLowerCase().replace(/\./g, "-")}.mail.protection.outlook.com`;
}

/** RFC 7505 null MX (`MX 0 .`): the domain accepts no mail. */
export function isNullMx(hosts: readonly string[]): boolean {
  return hosts.length === 1 && hosts[0].trim().replace(/\.$/, "") === "";
}

/** Gmail's envelope sender for a forwarded copy: `alice+caf_=alice=o365.contoso.com@contoso.com`. */
export function gmailForwardEnvelopeSender(mailbox: string, target: string): string {
  return `${localPartOf(mailbox)}+caf_=${localPartOf(target)}=${domainOf(target)}@${domainOf(mailbox)}`;
}
