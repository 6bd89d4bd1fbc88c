/** Inputs and outputs of the set resources' tests (MailUserSet is the set the generic tests drive). */
import * as assert from "assert";
import { mailUserSetProvider } from "../../../provider/resources/mailUserSet";
import type { FakeTenant } from "./fakeApis";

export type Values = Record<string, unknown>;

export const PASSWORD = "Coexist-Pa55word!";
/** The stack the resources' hidden input `owner` names. */
export const OWNER = "migration/test";
/** What the engine stores as `__provider`; the sets must carry it into partial-state errors. */
export const SERIALIZED = "serialized provider";

export const user = (first: string): Values => ({
  name: `${first} Smith`,
  alias: first.toLowerCase(),
  microsoftOnlineServicesId: `${first.toLowerCase()}@contoso.com`,
  routingAddress: `${first.toLowerCase()}@o365.contoso.com`,
});
export const users = { "alice@contoso.com": user("Alice"), "bob@contoso.com": user("Bob") };
export const setInputs = (items: Values = users, extra: Values = {}): Values => ({ users: items, password: PASSWORD, owner: OWNER, holder: "batch", __provider: SERIALIZED, ...extra });

/** A MailUserSet's checked inputs as create, diff and update get them: the engine adds the serialized provider back. */
export async function checked(values: Values = setInputs()): Promise<Values> {
  const result = await mailUserSetProvider.check!({}, values);
  assert.deepStrictEqual(result.failures ?? [], []);
  return { ...result.inputs!, __provider: values.__provider };
}

export const itemsOf = (outputs: Values): Record<string, Values> => (outputs.users ?? outputs.routes) as Record<string, Values>;

/** Users at both Google and Exchange, licensed: mailboxes with their routing addresses. */
export function migrated(tenant: FakeTenant, ...names: string[]): void {
  for (const name of names) {
    tenant.addGmailUser(`${name}@contoso.com`);
    tenant.addMailUser(`${name}@contoso.com`, { RecipientTypeDetails: "UserMailbox", EmailAddresses: [`SMTP:${name}@contoso.com`, `smtp:${name}@o365.contoso.com`] });
  }
}
