/**
 * Coalesced reads for `pulumi refresh`: a refresh asks for every managed object one by one, and
 * one `Get-Recipient` (or `GET /users`) per object makes a refresh of N users cost N calls against
 * the tenant's throttle budget. Once a plugin process has read more than a few objects, the rest
 * are served from one paged list of the whole collection, taken once and shared by every caller
 * (concurrent callers wait for the same list). An object the list does not show is read on its own,
 * so a missing or new object is answered exactly as before.
 *
 * `read()` uses these, and so do licensing (a batch of users read before each is licensed), a
 * mail user's update (its recipient and Entra account read before the changes are sent) and its
 * delete (the recipient read before it is removed, or a migrated user's routing address goes):
 * within one deployment each object is read before the one write of ours to it, and a plugin
 * process lives for one deployment, so a list taken during it cannot hide a write of ours to the
 * object read. External changes made while the list is in use show at the next refresh, as with
 * any refresh of objects read at different moments. `CoalescedReads` (below) is for reads that
 * must be fresh.
 */
import { unlessNotFound } from "./errors";
import { EXCHANGE_PAGE_SIZE, type ExchangeObject } from "./exchange";
import type { GraphUser } from "./graph";

/** Reads served one by one before a list pays (the target is ceil(N/1000) + 10 list calls). */
export const DIRECT_READS_BEFORE_LIST = 8;
/** How long fresh reads wait for company before they go out. */
export const FRESH_READ_WINDOW_MS = 500;
/** A list older than this is taken again. */
export const SNAPSHOT_MAX_AGE_MS = 10 * 60_000;

/**
 * Items by every key that names exactly one of them, built item by item: a key two items share is
 * left out from then on (a lookup already answered from a page keeps its answer).
 */
class UniqueKeyIndex<T> {
  readonly byKey = new Map<string, T>();
  private readonly ambiguous = new Set<string>();

  constructor(private readonly keysOf: (item: T) => string[]) {}

  /** Indexes `item`; returns the keys that now name it. */
  add(item: T): string[] {
    const added: string[] = [];
    for (const key of new Set(this.keysOf(item).map((k) => k.toLowerCase()).filter(Boolean))) {
      if (this.ambiguous.has(key)) continue;
      const other = this.byKey.get(key);
      if (other !== undefined && other !== item) {
        this.ambiguous.add(key);
        this.byKey.delete(key);
        continue;
      }
      this.byKey.set(key, item);
      added.push(key);
    }
    return added;
  }
}

/** Items by every key that names exactly one of them; a key two items share is left out. */
export function indexByKeys<T>(items: readonly T[], keysOf: (item: T) => string[]): Map<string, T> {
  const index = new UniqueKeyIndex(keysOf);
  for (const item of items) index.add(item);
  return index.byKey;
}

/** A list being taken: what its pages showed so far, and the lookups waiting for a key it has not shown yet. */
interface Taking<T> {
  takenAt: number;
  index: UniqueKeyIndex<T>;
  waiting: Map<string, ((item: T | undefined) => void)[]>;
  done: boolean;
}

/**
 * One list shared by every lookup after the first DIRECT_READS_BEFORE_LIST, answered page by page:
 * a lookup gets its object as soon as the page that shows it arrives (a list of 10,000 recipients
 * is 10 pages taken one after another, and a batch's 500 users are spread over all of them), and
 * `undefined` (read it on its own) only once the whole list has not shown it. The keys are
 * unique in the services (GUIDs, object ids, UPNs, SMTP proxy addresses); a key two listed objects
 * share all the same is left out from then on.
 */
export class CoalescedSnapshot<T> {
  private reads = 0;
  private current?: Taking<T>;

  constructor(
    private readonly list: (onPage: (items: T[]) => void) => Promise<T[]>,
    private readonly keysOf: (item: T) => string[],
    private readonly now: () => number = Date.now,
  ) {}

  /** The item with this key, or undefined when the caller must read it on its own. */
  async lookup(key: string): Promise<T | undefined> {
    this.reads++;
    if (this.reads <= DIRECT_READS_BEFORE_LIST) return undefined;
    const taking = this.taking();
    const normalized = key.toLowerCase();
    const listed = taking.index.byKey.get(normalized);
    if (listed || taking.done) return listed;
    return new Promise((resolve) => taking.waiting.set(normalized, [...(taking.waiting.get(normalized) ?? []), resolve]));
  }

  private taking(): Taking<T> {
    if (this.current && this.now() - this.current.takenAt <= SNAPSHOT_MAX_AGE_MS) return this.current;
    const taking: Taking<T> = { takenAt: this.now(), index: new UniqueKeyIndex(this.keysOf), waiting: new Map(), done: false };
    this.current = taking;
    const finish = (): void => {
      taking.done = true;
      for (const [key, waiters] of taking.waiting) for (const resolve of waiters) resolve(taking.index.byKey.get(key));
      taking.waiting.clear();
    };
    let paged = false;
    const onPage = (items: T[]): void => {
      paged = true;
      this.addPage(taking, items);
    };
    // A source that does not page (a test's list) is indexed once it answers.
    this.list(onPage).then((items) => {
      if (!paged) this.addPage(taking, items);
      finish();
    }, () => {
      // A list that fails (after the retry policy) indexes nothing more: every read then goes on its own.
      taking.index.byKey.clear();
      finish();
    });
    return taking;
  }

  private addPage(taking: Taking<T>, items: readonly T[]): void {
    for (const item of items) {
      for (const key of taking.index.add(item)) {
        for (const resolve of taking.waiting.get(key) ?? []) resolve(item);
        taking.waiting.delete(key);
      }
    }
  }
}

/**
 * Fresh reads, coalesced: lookups that arrive within `windowMs` of each other are answered
 * together, by one paged list when they outnumber both DIRECT_READS_BEFORE_LIST and the pages the
 * last list took (a list of 10,000 objects costs 10 calls), else one by one. Nothing is reused
 * across windows, so every answer is at most that old: for polling (many licensed users waiting
 * to become mailboxes at once). When the list holds every object the lookups are after (it is
 * filtered to exactly them, e.g. all mailboxes), a key it lacks is answered `undefined` without a
 * read of its own.
 */
export class CoalescedReads<T> {
  private pending: { key: string; resolve: (item: T | undefined) => void; reject: (error: unknown) => void }[] = [];
  private timer?: NodeJS.Timeout;
  private lastListSize = 0;

  constructor(
    private readonly single: (key: string) => Promise<T | undefined>,
    private readonly list: () => Promise<T[]>,
    private readonly keysOf: (item: T) => string[],
    private readonly pageSize: number,
    private readonly windowMs: number = FRESH_READ_WINDOW_MS,
    private readonly listIsComplete = false,
  ) {}

  lookup(key: string): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.pending.push({ key, resolve, reject });
      this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    });
  }

  private async flush(): Promise<void> {
    const waiting = this.pending;
    this.pending = [];
    this.timer = undefined;
    const listCost = Math.max(DIRECT_READS_BEFORE_LIST, Math.ceil(this.lastListSize / this.pageSize));
    // A list that fails indexes nothing: every lookup then reads on its own.
    const index =
      waiting.length > listCost
        ? await this.list().then(
            (items) => {
              this.lastListSize = items.length;
              return indexByKeys(items, this.keysOf);
            },
            () => undefined,
          )
        : undefined;
    for (const { key, resolve, reject } of waiting) {
      const listed = index?.get(key.toLowerCase());
      if (listed || (index && this.listIsComplete)) resolve(listed);
      else this.single(key).then(resolve, reject);
    }
  }
}

/** What a licensed mail user becomes (exchange-admin-api.md §2.3). */
const USER_MAILBOX = "UserMailbox";

const smtpAddresses = (object: ExchangeObject): string[] =>
  (Array.isArray(object.EmailAddresses) ? object.EmailAddresses.map(String) : []).filter((proxy) => /^smtp:/i.test(proxy)).map((proxy) => proxy.slice(5));

/** Every key `Get-Recipient -Identity` resolves uniquely: GUID, Entra object id, UPN, SMTP addresses. */
export function recipientKeys(object: ExchangeObject): string[] {
  const fields = ["Guid", "ExternalDirectoryObjectId", "MicrosoftOnlineServicesID", "WindowsLiveID", "PrimarySmtpAddress"];
  const values = fields.map((field) => object[field]).filter((value): value is string => typeof value === "string");
  return [...values.map((value) => value.replace(/^smtp:/i, "")), ...smtpAddresses(object)];
}

/** The reads the resources share, over the clients `apis()` gives them (clients/index.ts). */
export interface Snapshots {
  /** A Get-Recipient object by identity from the shared list, or undefined: then call Get-Recipient. */
  recipientByIdentity(identity: string): Promise<ExchangeObject | undefined>;
  /**
   * The recipient if it is a user mailbox now (undefined: not a mailbox, or no such recipient),
   * coalesced with the other callers of the moment into one list of the tenant's mailboxes.
   */
  mailboxNow(identity: string): Promise<ExchangeObject | undefined>;
  /** A Graph user by UPN or id with these `$select` properties from the shared list, or undefined: then GET it. */
  userByIdOrUpn(idOrUpn: string, select: string[]): Promise<GraphUser | undefined>;
  /**
   * The accepted domains of Exchange Online (lower-cased), listed once per SNAPSHOT_MAX_AGE_MS:
   * the domains on which a recipient may hold proxy addresses.
   */
  acceptedDomains(): Promise<ReadonlySet<string>>;
}

/** The clients' calls the snapshots list and read with. */
export interface SnapshotSources {
  exchange: Pick<typeof import("./exchange"), "invoke">;
  graph: Pick<typeof import("./graph"), "listAll">;
}

/**
 * What every Graph user list takes: the properties the sign-in (MailUser) and the licensing
 * (LicenseAssignment) read. Each step reads from it only properties no other step of a
 * deployment writes for that user (docs/benchmark.md, "Coalesced reads").
 */
export const LISTED_USER_PROPERTIES = ["id", "userPrincipalName", "accountEnabled", "usageLocation", "assignedLicenses", "licenseAssignmentStates"];

/** One provider process's snapshots, reading through `sources` (looked up at each call). */
export function snapshotsOver(sources: SnapshotSources, freshReadWindowMs = FRESH_READ_WINDOW_MS): Snapshots {
  const listRecipients = (onPage?: (objects: ExchangeObject[]) => void): Promise<ExchangeObject[]> => sources.exchange.invoke("Get-Recipient", {}, { list: true, onPage });
  const oneRecipient = async (key: string): Promise<ExchangeObject | undefined> =>
    ((await unlessNotFound(sources.exchange.invoke("Get-Recipient", { Identity: key }))) ?? [])[0];
  const listMailboxes = (): Promise<ExchangeObject[]> => sources.exchange.invoke("Get-Recipient", { RecipientTypeDetails: USER_MAILBOX }, { list: true });
  const oneMailbox = async (key: string): Promise<ExchangeObject | undefined> => {
    const recipient = await oneRecipient(key);
    return recipient?.RecipientTypeDetails === USER_MAILBOX ? recipient : undefined;
  };
  let recipients: CoalescedSnapshot<ExchangeObject> | undefined;
  let freshMailboxes: CoalescedReads<ExchangeObject> | undefined;
  // One list per set of properties beyond the shared ones (LISTED_USER_PROPERTIES): a batch move's
  // sign-in and licensing then share one list instead of paging through the tenant twice.
  const users = new Map<string, CoalescedSnapshot<GraphUser>>();
  let domains: { takenAt: number; names: Promise<ReadonlySet<string>> } | undefined;
  return {
    recipientByIdentity(identity) {
      recipients ??= new CoalescedSnapshot(listRecipients, recipientKeys);
      return recipients.lookup(identity);
    },
    mailboxNow(identity) {
      freshMailboxes ??= new CoalescedReads(oneMailbox, listMailboxes, recipientKeys, EXCHANGE_PAGE_SIZE, freshReadWindowMs, true);
      return freshMailboxes.lookup(identity);
    },
    userByIdOrUpn(idOrUpn, select) {
      const selected = [...new Set([...LISTED_USER_PROPERTIES, ...select])].sort().join(",");
      let snapshot = users.get(selected);
      if (!snapshot) {
        const list = (onPage: (users: GraphUser[]) => void): Promise<GraphUser[]> => sources.graph.listAll<GraphUser>(`/users?$select=${selected}&$top=999`, onPage);
        snapshot = new CoalescedSnapshot(list, (user) => [user.id, user.userPrincipalName ?? ""]);
        users.set(selected, snapshot);
      }
      return snapshot.lookup(idOrUpn);
    },
    acceptedDomains() {
      if (!domains || Date.now() - domains.takenAt > SNAPSHOT_MAX_AGE_MS) {
        const names = sources.exchange.invoke("Get-AcceptedDomain", {}, { list: true }).then((found) => new Set(found.map((domain) => String(domain.DomainName ?? domain.Name ?? "").toLowerCase())));
        // A failed list is not kept: the next caller asks again.
        names.catch(() => (domains = undefined));
        domains = { takenAt: Date.now(), names };
      }
      return domains.names;
    },
  };
}
