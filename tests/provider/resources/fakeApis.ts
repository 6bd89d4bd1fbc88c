/**
 * An in-memory Exchange Online, Graph and Gmail for resource tests: the APIs the resources call
 * (`apis()`, provider/clients/index.ts) are replaced by this tenant's, every write is recorded,
 * notes are collected, and polling runs on a fake clock (no real waiting).
 */
import { createHash, randomUUID } from "crypto";
import { replaceApis, type Apis } from "../../../provider/clients";
import * as exchangeClient from "../../../provider/clients/exchange";
import type { ExchangeObject } from "../../../provider/clients/exchange";
import * as googleClient from "../../../provider/clients/google";
import type { AutoForwarding, ForwardingAddress } from "../../../provider/clients/google";
import * as graphClient from "../../../provider/clients/graph";
import type { AssignedLicense, Domain, GraphUser, SubscribedSku } from "../../../provider/clients/graph";
import { snapshotsOver } from "../../../provider/clients/snapshots";

const logModule: typeof import("../../../provider/resources/log") = require("../../../provider/resources/log");
const claimsModule: typeof import("../../../provider/resources/claims") = require("../../../provider/resources/claims");
const mailboxWaitsModule: typeof import("../../../provider/resources/mailboxWaits") = require("../../../provider/resources/mailboxWaits");
const pollModule: typeof import("../../../provider/resources/poll") = require("../../../provider/resources/poll");

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The calls a test fakes, per API; every other call (wire helpers such as `addRemove`) is the real client's. */
export interface ApiFakes {
  exchange?: Partial<typeof exchangeClient>;
  graph?: Partial<typeof graphClient>;
  google?: Partial<typeof googleClient>;
}

/**
 * Installs `fakes` as the resources' APIs, with snapshots reading through them and no wait for
 * company. A test may swap a call afterwards (`apis.exchange.invoke = …`); `restore` puts the
 * previous APIs back.
 */
export function useFakeApis(fakes: ApiFakes): { apis: Mutable<{ [K in keyof Apis]: Mutable<Apis[K]> }>; restore: () => void } {
  const exchange = { ...exchangeClient, ...fakes.exchange };
  const graph = { ...graphClient, ...fakes.graph };
  const google = { ...googleClient, ...fakes.google };
  const apis = { exchange, graph, google, snapshots: snapshotsOver({ exchange, graph }, 0) };
  return { apis, restore: replaceApis(apis) };
}

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
  /** The attribute MailUser marks by default ("" or absent when empty). */
  CustomAttribute15?: string;
  /** A distribution group's members, by GUID. */
  Members?: string[];
  RequireSenderAuthenticationEnabled?: boolean;
}

const GROUP_TYPE = "MailUniversalDistributionGroup";

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

/** Errors as the real clients throw them (ApiError subclasses that say `notFound` themselves). */
function exchangeError(cmdlet: string, kind: "notFound" | "alreadyExists", text: string): Error {
  return new exchangeClient.ExchangeError(cmdlet, `Exchange ${cmdlet} failed: ${text}`, { status: kind === "notFound" ? 404 : 400, [kind]: true });
}

function googleError(action: string, status: number, reason: string, text: string): Error {
  return new googleClient.GoogleApiError(`Google ${action} failed (HTTP ${status}, ${reason}): ${text}`, { status, reasons: [reason] });
}

function graphError(action: string, status: number, text: string): Error {
  return new graphClient.GraphApiError(`Graph ${action} failed (HTTP ${status}): ${text}`, { status });
}

export class FakeTenant {
  readonly recipients = new Map<string, FakeRecipient>();
  readonly users = new Map<string, GraphUser>();
  readonly skus: SubscribedSku[] = [];
  readonly gmail = new Map<string, GmailUser>();
  /** Google users who left: Gmail answers no settings call for them, the Directory says why. */
  readonly departed = new Map<string, "suspended" | "deleted">();
  /** The tenant's domains in Graph, by name. */
  readonly domains = new Map<string, Domain>();
  /** Exchange's accepted domains: name → DomainType. */
  readonly acceptedDomains = new Map<string, string>();
  readonly writes: Write[] = [];
  readonly notes: string[] = [];
  readonly reads: string[] = [];
  /** Get-Recipient calls a licensed mail user needs before it shows as a mailbox. */
  conversionPolls = 1;
  /** Graph reads that do not show a user New-MailUser just created yet (Entra ID's replication lag). */
  entraLagReads = 0;
  private hiddenFromGraph = new Map<string, number>();
  /** Fake time, advanced by the poll clock's sleeps. */
  now = 1_000_000;
  private pendingConversions = new Map<string, number>();
  private restores: (() => void)[] = [];
  /** The APIs this tenant answers for; a test may swap one call, e.g. to fail it. */
  apis!: ReturnType<typeof useFakeApis>["apis"];

  install(): this {
    const fake = useFakeApis({ exchange: this.exchangeApi(), graph: this.graphApi(), google: this.googleApi() });
    this.apis = fake.apis;
    this.restores.push(fake.restore);
    // Claims live for a deployment (one provider process); each test is one.
    claimsModule.clearClaims();
    this.restores.push(() => claimsModule.clearClaims());
    mailboxWaitsModule.clearMailboxWaits();
    this.restores.push(() => mailboxWaitsModule.clearMailboxWaits());
    this.replace(logModule, { note: (_resource, message) => void this.notes.push(message) });
    this.replace(pollModule.pollClock, {
      now: () => this.now,
      sleep: async (ms) => {
        this.now += ms;
      },
    });
    return this;
  }

  uninstall(): void {
    for (const restore of this.restores.reverse()) restore();
    this.restores = [];
  }

  private exchangeApi(): ApiFakes["exchange"] {
    return { invoke: (cmdlet, parameters) => this.invoke(cmdlet, parameters ?? {}) };
  }

  private graphApi(): ApiFakes["graph"] {
    return {
      getDomain: async (name) => {
        this.reads.push(`graph getDomain ${name}`);
        const domain = this.domains.get(name);
        return domain && structuredClone(domain);
      },
      getUser: async (id) => {
        this.reads.push(`graph getUser ${id}`);
        const user = this.user(id);
        const hidden = user ? (this.hiddenFromGraph.get(user.id) ?? 0) : 0;
        if (hidden > 0) {
          this.hiddenFromGraph.set(user!.id, hidden - 1);
          return undefined;
        }
        return user && structuredClone(user);
      },
      setUsageLocation: async (id, usageLocation) => {
        this.write("graph", "setUsageLocation", { id, usageLocation });
        this.user(id)!.usageLocation = usageLocation;
      },
      setPassword: async (id, password) => {
        if (!this.user(id)) throw graphError(`PATCH /users/${id}`, 404, "Resource does not exist.");
        this.write("graph", "setPassword", { id, password });
      },
      setAccountEnabled: async (id, accountEnabled) => {
        const user = this.user(id);
        if (!user) throw graphError(`PATCH /users/${id}`, 404, "Resource does not exist.");
        this.write("graph", "setAccountEnabled", { id, accountEnabled });
        user.accountEnabled = accountEnabled;
      },
      assignLicense: async (id, change) => this.assignLicense(id, change),
      listSubscribedSkus: async () => {
        this.reads.push("graph listSubscribedSkus");
        return structuredClone(this.skus);
      },
      listAll: async <T>(path: string) => {
        if (!path.startsWith("/users?")) throw graphError("GET (list)", 501, "FakeTenant lists only users: every other object is read on its own");
        this.reads.push("graph listUsers");
        return [...this.users.values()].map((user) => structuredClone(user)) as T[];
      },
    };
  }

  private googleApi(): ApiFakes["google"] {
    return {
      getDirectoryUser: async (user) => {
        this.reads.push(`google getDirectoryUser ${user}`);
        const departure = this.departed.get(user);
        if (departure === "deleted") return undefined;
        if (departure === "suspended") return { primaryEmail: user, suspended: true };
        return this.gmail.has(user) ? { primaryEmail: user, suspended: false } : undefined;
      },
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
          throw googleError("updateAutoForwarding", 400, "failedPrecondition", "Invalid forwarding address");
        }
        mailbox.autoForwarding = structuredClone(settings);
        return structuredClone(settings);
      },
    };
  }

  /** Graph does not show the user for its next `reads` reads, as right after New-MailUser. */
  hideFromGraph(upn: string, reads: number): void {
    this.hiddenFromGraph.set(this.users.get(upn)!.id, reads);
  }

  writesTo(api: Write["api"]): Write[] {
    return this.writes.filter((write) => write.api === api);
  }

  // -------------------------------------------------------------------------------------------
  // Seeding

  addUser(upn: string, fields: Partial<GraphUser> = {}): GraphUser {
    const user: GraphUser = { id: randomUUID(), userPrincipalName: upn, usageLocation: null, accountEnabled: true, assignedLicenses: [], licenseAssignmentStates: [], ...fields };
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

  /** A domain of the tenant; verified with Email, it is also an accepted domain of `acceptedAs` (none: Exchange has not listed it yet). */
  addDomain(name: string, fields: Partial<Domain> = {}, acceptedAs?: string): Domain {
    const domain: Domain = { id: name, isVerified: true, supportedServices: ["Email"], ...fields };
    this.domains.set(name, domain);
    if (acceptedAs) this.acceptedDomains.set(name, acceptedAs);
    return domain;
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
    const departure = this.departed.get(address);
    if (departure === "deleted") throw googleError(`token for ${address}`, 400, "invalid_grant", "The account has been deleted");
    if (departure === "suspended") throw googleError(`settings of ${address}`, 400, "failedPrecondition", "Mail service not enabled");
    const mailbox = this.gmail.get(address);
    if (!mailbox) throw googleError(`settings of ${address}`, 404, "notFound", "Requested entity was not found.");
    return mailbox;
  }

  private async invoke(cmdlet: string, parameters: Record<string, unknown>): Promise<ExchangeObject[]> {
    if (cmdlet === "Get-AcceptedDomain" && parameters.Identity === undefined) {
      this.reads.push(`exchange ${cmdlet}`);
      return [...this.acceptedDomains].map(([name, type]) => ({ DomainName: name, DomainType: type }));
    }
    if (cmdlet === "Get-DistributionGroupMember") {
      this.reads.push(`exchange ${cmdlet} ${String(parameters.Identity)}`);
      const group = this.ofKind(cmdlet, String(parameters.Identity), GROUP_TYPE);
      return (group.Members ?? []).map((guid) => structuredClone(this.recipients.get(guid)) as unknown as ExchangeObject).filter(Boolean);
    }
    if (cmdlet === "Get-AcceptedDomain") {
      this.reads.push(`exchange ${cmdlet} ${String(parameters.Identity)}`);
      const type = this.acceptedDomains.get(String(parameters.Identity));
      if (!type) throw exchangeError(cmdlet, "notFound", `The operation couldn't be performed because object '${String(parameters.Identity)}' couldn't be found.`);
      return [{ DomainName: parameters.Identity, DomainType: type }];
    }
    if (cmdlet === "Get-Recipient" && parameters.Identity === undefined) {
      const wanted = parameters.RecipientTypeDetails;
      this.reads.push(`exchange ${cmdlet} list${wanted ? ` ${String(wanted)}` : ""}`);
      for (const recipient of this.recipients.values()) this.advanceConversion(recipient);
      const listed = [...this.recipients.values()].filter((recipient) => !wanted || recipient.RecipientTypeDetails === wanted);
      return structuredClone(listed) as unknown as ExchangeObject[];
    }
    if (cmdlet.startsWith("Get-")) {
      this.reads.push(`exchange ${cmdlet} ${String(parameters.Identity)}`);
      const kind = { "Get-DistributionGroup": GROUP_TYPE, "Get-MailContact": "MailContact" }[cmdlet];
      const found = this.recipient(String(parameters.Identity));
      if (!found || (kind && found.RecipientTypeDetails !== kind)) throw exchangeError(cmdlet, "notFound", `The operation couldn't be performed because object '${String(parameters.Identity)}' couldn't be found.`);
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
      case "Set-AcceptedDomain": {
        const name = String(parameters.Identity);
        if (!this.acceptedDomains.has(name)) throw exchangeError(cmdlet, "notFound", "couldn't be found");
        this.acceptedDomains.set(name, String(parameters.DomainType));
        return [];
      }
      case "New-DistributionGroup":
        return [this.newGroupOrContact(cmdlet, parameters, GROUP_TYPE) as unknown as ExchangeObject];
      case "New-MailContact":
        return [this.newGroupOrContact(cmdlet, parameters, "MailContact") as unknown as ExchangeObject];
      case "Set-DistributionGroup":
      case "Set-MailContact": {
        const found = this.ofKind(cmdlet, String(parameters.Identity), cmdlet === "Set-MailContact" ? "MailContact" : GROUP_TYPE);
        const { BypassSecurityGroupManagerCheck: _bypass, ...rest } = parameters;
        this.setRecipient(cmdlet, { ...rest, Identity: found.Guid });
        return [];
      }
      case "Update-DistributionGroupMember": {
        const group = this.ofKind(cmdlet, String(parameters.Identity), GROUP_TYPE);
        group.Members = this.memberGuids(cmdlet, parameters.Members);
        return [];
      }
      case "Remove-DistributionGroup":
      case "Remove-MailContact": {
        const found = this.ofKind(cmdlet, String(parameters.Identity), cmdlet === "Remove-MailContact" ? "MailContact" : GROUP_TYPE);
        this.recipients.delete(found.Guid);
        for (const group of this.recipients.values()) if (group.Members) group.Members = group.Members.filter((guid) => guid !== found.Guid);
        return [];
      }
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
    if (this.users.has(mosid)) throw exchangeError("New-MailUser", "alreadyExists", `The object '${mosid}' already exists.`);
    this.hiddenFromGraph.set(this.addUser(mosid).id, this.entraLagReads);
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
    const oldExternal = bare(found.ExternalEmailAddress ?? "");
    Object.assign(found, settings);
    if (settings.ExternalEmailAddress) {
      const external = String(settings.ExternalEmailAddress).toLowerCase();
      found.ExternalEmailAddress = `SMTP:${external}`;
      // A contact's external address is one of its proxies (Set-MailContact drops the old one).
      if (found.RecipientTypeDetails === "MailContact") {
        const wasPrimary = bare(found.EmailAddresses.find((proxy) => proxy.startsWith("SMTP:")) ?? "") === oldExternal;
        const others = found.EmailAddresses.filter((proxy) => ![oldExternal, external].includes(bare(proxy)));
        found.EmailAddresses = wasPrimary ? [`SMTP:${external}`, ...others] : [...others, `smtp:${external}`];
      }
    }
    if (Array.isArray(change)) {
      found.EmailAddresses = change.map(String);
    } else {
      const { Add, Remove } = (change ?? {}) as { Add?: string | string[]; Remove?: string | string[] };
      for (const proxy of [Remove ?? []].flat()) found.EmailAddresses = found.EmailAddresses.filter((existing) => bare(existing) !== bare(proxy));
      for (const proxy of [Add ?? []].flat()) {
        const owner = this.recipient(bare(proxy));
        if (owner && owner !== found) throw exchangeError(cmdlet, "alreadyExists", `The proxy address "${proxy}" is already being used.`);
        if (!owner) found.EmailAddresses.push(proxy);
      }
    }
    const primary = found.EmailAddresses.find((proxy) => proxy.startsWith("SMTP:"));
    if (primary) found.PrimarySmtpAddress = bare(primary);
  }

  /** The group or contact with that identity, or the cmdlet's not-found error. */
  private ofKind(cmdlet: string, identity: string, recipientTypeDetails: string): FakeRecipient {
    const found = this.recipient(identity);
    if (!found || found.RecipientTypeDetails !== recipientTypeDetails) throw exchangeError(cmdlet, "notFound", `The operation couldn't be performed because object '${identity}' couldn't be found.`);
    return found;
  }

  private memberGuids(cmdlet: string, members: unknown): string[] {
    return (Array.isArray(members) ? members : []).map((member) => {
      const found = this.recipient(String(member));
      if (!found) throw exchangeError(cmdlet, "notFound", `Couldn't find object "${String(member)}".`);
      return found.Guid;
    });
  }

  private newGroupOrContact(cmdlet: string, parameters: Record<string, unknown>, recipientTypeDetails: string): FakeRecipient {
    const primary = String(parameters.PrimarySmtpAddress ?? parameters.ExternalEmailAddress).toLowerCase();
    if (this.recipient(primary)) throw exchangeError(cmdlet, "alreadyExists", `The proxy address "SMTP:${primary}" is already being used.`);
    const name = String(parameters.Name);
    if ([...this.recipients.values()].some((other) => other.Name === name)) throw exchangeError(cmdlet, "alreadyExists", `The name "${name}" is already being used.`);
    const recipient: FakeRecipient = {
      Guid: randomUUID(),
      ExternalDirectoryObjectId: randomUUID(),
      RecipientTypeDetails: recipientTypeDetails,
      Name: name,
      Alias: String(parameters.Alias ?? name),
      DisplayName: String(parameters.DisplayName ?? name),
      MicrosoftOnlineServicesID: "",
      PrimarySmtpAddress: primary,
      EmailAddresses: [`SMTP:${primary}`],
      CustomAttribute15: "",
      ...(recipientTypeDetails === "MailContact"
        ? { ExternalEmailAddress: `SMTP:${primary}` }
        : { Members: this.memberGuids(cmdlet, parameters.Members), RequireSenderAuthenticationEnabled: parameters.RequireSenderAuthenticationEnabled !== false }),
    };
    this.recipients.set(recipient.Guid, recipient);
    return structuredClone(recipient);
  }

  private assignLicense(id: string, change: { addLicenses?: AssignedLicense[]; removeLicenses?: string[] }): GraphUser {
    const user = this.user(id);
    if (!user) throw graphError(`POST /users/${id}/assignLicense`, 404, "Resource does not exist.");
    if (!user.usageLocation) throw graphError(`POST /users/${id}/assignLicense`, 400, "License assignment cannot be done for user with invalid usage location.");
    const removed = new Set(change.removeLicenses ?? []);
    const added = change.addLicenses ?? [];
    for (const license of added) {
      const sku = this.skus.find((candidate) => candidate.skuId === license.skuId)!;
      const isNew = !(user.assignedLicenses ?? []).some((existing) => existing.skuId === license.skuId);
      if (isNew && (sku.consumedUnits ?? 0) >= (sku.prepaidUnits?.enabled ?? 0)) {
        throw graphError(`POST /users/${id}/assignLicense`, 400, `Subscription with SKU ${sku.skuId} does not have any available licenses.`);
      }
    }
    this.write("graph", "assignLicense", { id, ...change });
    const kept = (user.assignedLicenses ?? []).filter((license) => !removed.has(license.skuId) && !added.some((a) => a.skuId === license.skuId));
    for (const license of added) {
      const sku = this.skus.find((candidate) => candidate.skuId === license.skuId)!;
      if (!(user.assignedLicenses ?? []).some((existing) => existing.skuId === license.skuId)) sku.consumedUnits = (sku.consumedUnits ?? 0) + 1;
    }
    user.assignedLicenses = [...kept, ...structuredClone(added)];
    user.licenseAssignmentStates = user.assignedLicenses.map((license) => ({ skuId: license.skuId, assignedByGroup: null, state: "Active", error: null }));
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
