/**
 * An in-memory Exchange Online, Graph and Gmail for resource tests: the client functions the
 * resources call are replaced by this tenant's, every write is recorded, notes are collected, and
 * polling runs on a fake clock (no real waiting).
 */
import { createHash, randomUUID } from "crypto";
import type { ExchangeObject } from "../../../provider/clients/exchange";
import type { AssignedLicense, GraphUser, SubscribedSku } from "../../../provider/clients/graph";
import type { AutoForwarding, ForwardingAddress } from "../../../provider/clients/google";

type ExchangeModule = typeof import("../../../provider/clients/exchange");
type GraphModule = typeof import("../../../provider/clients/graph");
type GoogleModule = typeof import("../../../provider/clients/google");
const exchangeModule: ExchangeModule = require("../../../provider/clients/exchange");
const graphModule: GraphModule = require("../../../provider/clients/graph");
const googleModule: GoogleModule = require("../../../provider/clients/google");
const logModule: typeof import("../../../provider/resources/log") = require("../../../provider/resources/log");
const pollModule: typeof import("../../../provider/resources/poll") = require("../../../provider/resources/poll");
const snapshotsModule: typeof import("../../../provider/clients/snapshots") = require("../../../provider/clients/snapshots");

export interface FakeRecipient {
  Guid: string;
  ExternalDirectoryObjectId: string;
  RecipientTypeDetails: string;
  Name: string;
  Alias: string;
  DisplayName: string;
  FirstName?: string;
  LastName?: string;
  ExternalEmailAddress?: string;
  MicrosoftOnlineServicesID: string;
  PrimarySmtpAddress: string;
  EmailAddresses: string[];
}

export interface Write {
  api: "exchange" | "graph" | "google";
  call: string;
  parameters: Record<string, unknown>;
}

interface GmailUser {
  forwardingAddresses: ForwardingAddress[];
  autoForwarding: AutoForwarding;
}

const bare = (proxy: string): string => proxy.replace(/^smtp:/i, "").toLowerCase();

function exchangeError(cmdlet: string, kind: "notFound" | "alreadyExists", text: string): Error {
  return new exchangeModule.ExchangeError(cmdlet, `Exchange ${cmdlet} failed: ${text}`, { status: kind === "notFound" ? 404 : 400, [kind]: true });
}

function notFoundError(api: string): Error {
  return Object.assign(new Error(`${api} 404`), { notFound: true, status: 404 });
}

export class FakeTenant {
  readonly recipients = new Map<string, FakeRecipient>();
  readonly users = new Map<string, GraphUser>();
  readonly skus: SubscribedSku[] = [];
  readonly gmail = new Map<string, GmailUser>();
  readonly writes: Write[] = [];
  readonly notes: string[] = [];
  readonly reads: string[] = [];
  /** Get-Recipient calls a licensed mail user needs before it shows as a mailbox. */
  conversionPolls = 1;
  /** Fake time, advanced by the poll clock's sleeps. */
  now = 1_000_000;
  private pendingConversions = new Map<string, number>();
  private restores: (() => void)[] = [];

  install(): this {
    this.replace(exchangeModule, { invoke: (cmdlet, parameters) => this.invoke(cmdlet, parameters ?? {}) });
    this.replace(graphModule, {
      getUser: async (id) => {
        this.reads.push(`graph getUser ${id}`);
        const user = this.user(id);
        return user && structuredClone(user);
      },
      setUsageLocation: async (id, usageLocation) => {
        this.write("graph", "setUsageLocation", { id, usageLocation });
        this.user(id)!.usageLocation = usageLocation;
      },
      setPassword: async (id, password) => this.write("graph", "setPassword", { id, password }),
      assignLicense: async (id, change) => this.assignLicense(id, change),
      listSubscribedSkus: async () => {
        this.reads.push("graph listSubscribedSkus");
        return structuredClone(this.skus);
      },
    });
    this.replace(googleModule, {
      getForwardingAddress: async (user, email) => structuredClone(this.mailbox(user).forwardingAddresses.find((a) => a.forwardingEmail === email)),
      createForwardingAddress: async (user, email) => {
        this.write("google", "createForwardingAddress", { user, email });
        const sameDomain = email.endsWith(`.${user.split("@")[1]}`);
        const address: ForwardingAddress = { forwardingEmail: email, verificationStatus: sameDomain ? "accepted" : "pending" };
        this.mailbox(user).forwardingAddresses.push(address);
        return structuredClone(address);
      },
      deleteForwardingAddress: async (user, email) => {
        this.write("google", "deleteForwardingAddress", { user, email });
        const mailbox = this.mailbox(user);
        const before = mailbox.forwardingAddresses.length;
        mailbox.forwardingAddresses = mailbox.forwardingAddresses.filter((a) => a.forwardingEmail !== email);
        return mailbox.forwardingAddresses.length < before;
      },
      getAutoForwarding: async (user) => structuredClone(this.mailbox(user).autoForwarding),
      updateAutoForwarding: async (user, settings) => {
        this.write("google", "updateAutoForwarding", { user, ...settings });
        const mailbox = this.mailbox(user);
        if (settings.enabled && !mailbox.forwardingAddresses.some((a) => a.forwardingEmail === settings.emailAddress && a.verificationStatus === "accepted")) {
          throw Object.assign(new Error("Google updateAutoForwarding failed (HTTP 400, failedPrecondition): Invalid forwarding address"), { status: 400 });
        }
        mailbox.autoForwarding = structuredClone(settings);
        return structuredClone(settings);
      },
    });
    this.replace(logModule, { note: (_resource, message) => void this.notes.push(message) });
    this.replace(pollModule.pollClock, {
      now: () => this.now,
      sleep: async (ms) => {
        this.now += ms;
      },
    });
    this.replace(snapshotsModule.freshReadWindow, { ms: 0 });
    return this;
  }

  uninstall(): void {
    for (const restore of this.restores.reverse()) restore();
    this.restores = [];
  }

  writesTo(api: Write["api"]): Write[] {
    return this.writes.filter((write) => write.api === api);
  }

  // -------------------------------------------------------------------------------------------
  // Seeding

  addUser(upn: string, fields: Partial<GraphUser> = {}): GraphUser {
    const user: GraphUser = { id: randomUUID(), userPrincipalName: upn, usageLocation: null, assignedLicenses: [], licenseAssignmentStates: [], ...fields };
    this.users.set(upn, user);
    return user;
  }

  addMailUser(address: string, fields: Partial<FakeRecipient> = {}): FakeRecipient {
    const user = this.users.get(address) ?? this.addUser(address);
    const alias = address.split("@")[0];
    const recipient: FakeRecipient = {
      Guid: randomUUID(),
      ExternalDirectoryObjectId: user.id,
      RecipientTypeDetails: "MailUser",
      Name: alias,
      Alias: alias,
      DisplayName: alias,
      ExternalEmailAddress: `SMTP:${address}`,
      MicrosoftOnlineServicesID: address,
      PrimarySmtpAddress: address,
      EmailAddresses: [`SMTP:${address}`],
      ...fields,
    };
    this.recipients.set(recipient.Guid, recipient);
    return recipient;
  }

  /** The skuId is derived from the part number: LicenseAssignment caches subscribedSkus per process. */
  addSku(skuPartNumber: string, seats: { enabled: number; consumed: number }, fields: Partial<SubscribedSku> = {}): SubscribedSku {
    const hex = createHash("sha1").update(skuPartNumber).digest("hex");
    const sku: SubscribedSku = {
      skuId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
      skuPartNumber,
      appliesTo: "User",
      capabilityStatus: "Enabled",
      consumedUnits: seats.consumed,
      prepaidUnits: { enabled: seats.enabled },
      ...fields,
    };
    this.skus.push(sku);
    return sku;
  }

  addGmailUser(address: string, autoForwarding: AutoForwarding = { enabled: false }, forwardingAddresses: ForwardingAddress[] = []): void {
    this.gmail.set(address, { autoForwarding, forwardingAddresses });
  }

  /** The recipient holding an address (any proxy) or with that GUID or sign-in name. */
  recipient(identity: string): FakeRecipient | undefined {
    const wanted = identity.toLowerCase();
    return [...this.recipients.values()].find(
      (r) => r.Guid === wanted || r.MicrosoftOnlineServicesID === wanted || r.EmailAddresses.some((proxy) => bare(proxy) === wanted),
    );
  }

  // -------------------------------------------------------------------------------------------
  // API behaviour

  private replace<T extends object>(target: T, overrides: Partial<T>): void {
    const saved = Object.fromEntries(Object.keys(overrides).map((key) => [key, target[key as keyof T]]));
    Object.assign(target, overrides);
    this.restores.push(() => Object.assign(target, saved));
  }

  private write(api: Write["api"], call: string, parameters: Record<string, unknown>): void {
    this.writes.push({ api, call, parameters: structuredClone(parameters) });
  }

  private user(idOrUpn: string): GraphUser | undefined {
    return this.users.get(idOrUpn) ?? [...this.users.values()].find((user) => user.id === idOrUpn);
  }

  private mailbox(address: string): GmailUser {
    const mailbox = this.gmail.get(address);
    if (!mailbox) throw notFoundError("Google");
    return mailbox;
  }

  private async invoke(cmdlet: string, parameters: Record<string, unknown>): Promise<ExchangeObject[]> {
    if (cmdlet.startsWith("Get-")) {
      this.reads.push(`exchange ${cmdlet} ${String(parameters.Identity)}`);
      const found = this.recipient(String(parameters.Identity));
      if (!found) throw exchangeError(cmdlet, "notFound", `The operation couldn't be performed because object '${String(parameters.Identity)}' couldn't be found.`);
      this.advanceConversion(found);
      return [structuredClone(found) as unknown as ExchangeObject];
    }
    // Recorded once it succeeded: a refused write changed nothing.
    const result = this.applyExchangeWrite(cmdlet, parameters);
    this.write("exchange", cmdlet, parameters);
    return result;
  }

  private applyExchangeWrite(cmdlet: string, parameters: Record<string, unknown>): ExchangeObject[] {
    switch (cmdlet) {
      case "New-MailUser":
        return [this.newMailUser(parameters) as unknown as ExchangeObject];
      case "Set-MailUser":
      case "Set-Mailbox":
        this.setRecipient(cmdlet, parameters);
        return [];
      case "Remove-MailUser": {
        const found = this.recipient(String(parameters.Identity));
        if (!found || found.RecipientTypeDetails !== "MailUser") throw exchangeError(cmdlet, "notFound", "couldn't be found");
        this.recipients.delete(found.Guid);
        this.users.delete(found.MicrosoftOnlineServicesID);
        return [];
      }
      default:
        throw new Error(`FakeTenant: unexpected cmdlet ${cmdlet}`);
    }
  }

  private newMailUser(parameters: Record<string, unknown>): FakeRecipient {
    const external = String(parameters.ExternalEmailAddress).toLowerCase();
    if (this.recipient(external)) throw exchangeError("New-MailUser", "alreadyExists", `The proxy address "SMTP:${external}" is already being used.`);
    const mosid = String(parameters.MicrosoftOnlineServicesID).toLowerCase();
    return this.addMailUser(mosid, {
      Name: String(parameters.Name),
      Alias: String(parameters.Alias),
      DisplayName: String(parameters.DisplayName),
      ...(parameters.FirstName !== undefined ? { FirstName: String(parameters.FirstName) } : {}),
      ...(parameters.LastName !== undefined ? { LastName: String(parameters.LastName) } : {}),
      ExternalEmailAddress: `SMTP:${external}`,
      PrimarySmtpAddress: external,
      EmailAddresses: [`SMTP:${external}`],
    });
  }

  private setRecipient(cmdlet: string, parameters: Record<string, unknown>): void {
    const found = this.recipient(String(parameters.Identity));
    if (!found) throw exchangeError(cmdlet, "notFound", "couldn't be found");
    const { Identity: _identity, EmailAddresses: change, Password: _password, ...settings } = parameters;
    Object.assign(found, settings);
    if (settings.ExternalEmailAddress) found.ExternalEmailAddress = `SMTP:${String(settings.ExternalEmailAddress)}`;
    const { Add, Remove } = (change ?? {}) as { Add?: string; Remove?: string };
    if (Add) {
      const owner = this.recipient(bare(Add));
      if (owner && owner !== found) throw exchangeError(cmdlet, "alreadyExists", `The proxy address "${Add}" is already being used.`);
      if (!owner) found.EmailAddresses.push(Add);
    }
    if (Remove) found.EmailAddresses = found.EmailAddresses.filter((proxy) => bare(proxy) !== bare(Remove));
  }

  private assignLicense(id: string, change: { addLicenses?: AssignedLicense[]; removeLicenses?: string[] }): GraphUser {
    const user = this.user(id);
    if (!user) throw notFoundError("Graph");
    if (!user.usageLocation) throw new Error("License assignment cannot be done for user with invalid usage location.");
    const removed = new Set(change.removeLicenses ?? []);
    const added = change.addLicenses ?? [];
    for (const licence of added) {
      const sku = this.skus.find((candidate) => candidate.skuId === licence.skuId)!;
      const isNew = !(user.assignedLicenses ?? []).some((existing) => existing.skuId === licence.skuId);
      if (isNew && (sku.consumedUnits ?? 0) >= (sku.prepaidUnits?.enabled ?? 0)) {
        throw Object.assign(new Error(`Subscription with SKU ${sku.skuId} does not have any available licenses.`), { status: 400 });
      }
    }
    this.write("graph", "assignLicense", { id, ...change });
    const kept = (user.assignedLicenses ?? []).filter((licence) => !removed.has(licence.skuId) && !added.some((a) => a.skuId === licence.skuId));
    for (const licence of added) {
      const sku = this.skus.find((candidate) => candidate.skuId === licence.skuId)!;
      if (!(user.assignedLicenses ?? []).some((existing) => existing.skuId === licence.skuId)) sku.consumedUnits = (sku.consumedUnits ?? 0) + 1;
    }
    user.assignedLicenses = [...kept, ...structuredClone(added)];
    user.licenseAssignmentStates = user.assignedLicenses.map((licence) => ({ skuId: licence.skuId, assignedByGroup: null, state: "Active", error: null }));
    const recipient = this.recipient(user.userPrincipalName!);
    if (recipient && added.length > 0) this.pendingConversions.set(recipient.Guid, this.conversionPolls);
    if (recipient && user.assignedLicenses.length === 0 && recipient.RecipientTypeDetails === "UserMailbox") this.recipients.delete(recipient.Guid);
    return structuredClone(user);
  }

  private advanceConversion(recipient: FakeRecipient): void {
    const remaining = this.pendingConversions.get(recipient.Guid);
    if (remaining === undefined) return;
    if (remaining > 1) {
      this.pendingConversions.set(recipient.Guid, remaining - 1);
      return;
    }
    this.pendingConversions.delete(recipient.Guid);
    recipient.RecipientTypeDetails = "UserMailbox";
    delete recipient.ExternalEmailAddress;
  }
}
