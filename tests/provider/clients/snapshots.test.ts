import * as assert from "assert";
import { CoalescedReads, CoalescedSnapshot, DIRECT_READS_BEFORE_LIST, SNAPSHOT_MAX_AGE_MS, indexByKeys, recipientKeys, snapshotsOver } from "../../../provider/clients/snapshots";

describe("coalesced snapshots", () => {
  it("indexes an item under each of its keys, case-insensitively, and leaves out keys two items share", () => {
    const index = indexByKeys(
      [
        { id: "A", keys: ["Alice@Contoso.com", "shared"] },
        { id: "B", keys: ["bob@contoso.com", "SHARED"] },
      ],
      (item) => item.keys,
    );
    assert.strictEqual(index.get("alice@contoso.com")?.id, "A");
    assert.strictEqual(index.get("bob@contoso.com")?.id, "B");
    assert.strictEqual(index.has("shared"), false);
  });

  it("names a recipient by GUID, Entra id, UPN and every SMTP proxy, not by X500 or other proxies", () => {
    const keys = recipientKeys({
      Guid: "6f1c…",
      ExternalDirectoryObjectId: "e-1",
      MicrosoftOnlineServicesID: "alice@contoso.com",
      PrimarySmtpAddress: "alice@contoso.com",
      EmailAddresses: ["SMTP:alice@contoso.com", "smtp:alice@o365.contoso.com", "X500:/o=Org/cn=alice"],
    });
    assert.deepStrictEqual(new Set(keys), new Set(["6f1c…", "e-1", "alice@contoso.com", "alice@o365.contoso.com"]));
  });

  it("serves the first reads one by one, then every read from one shared list", async () => {
    let lists = 0;
    const snapshot = new CoalescedSnapshot(
      async () => {
        lists++;
        return [{ key: "k1" }, { key: "k2" }];
      },
      (item) => [item.key],
    );
    for (let i = 0; i < DIRECT_READS_BEFORE_LIST; i++) assert.strictEqual(await snapshot.lookup("k1"), undefined);
    const answers = await Promise.all([snapshot.lookup("K1"), snapshot.lookup("k2"), snapshot.lookup("gone")]);
    assert.deepStrictEqual(answers, [{ key: "k1" }, { key: "k2" }, undefined]);
    assert.strictEqual(lists, 1);
  });

  it("answers a lookup as soon as the page that shows it arrives, and 'read it yourself' only once the whole list has not", async () => {
    let onPage: (items: { key: string }[]) => void = () => undefined;
    let finish: () => void = () => undefined;
    const snapshot = new CoalescedSnapshot<{ key: string }>(
      (page) =>
        new Promise((resolve) => {
          onPage = page;
          finish = () => resolve([]);
        }),
      (item) => [item.key],
    );
    for (let i = 0; i < DIRECT_READS_BEFORE_LIST; i++) await snapshot.lookup("k1");
    const settled: string[] = [];
    const early = snapshot.lookup("k1").then((item) => settled.push(`k1=${item?.key}`));
    const absent = snapshot.lookup("gone").then((item) => settled.push(`gone=${item?.key}`));
    const twice = snapshot.lookup("twin").then((item) => settled.push(`twin=${item?.key}`));
    onPage([{ key: "k1" }]);
    await early;
    assert.deepStrictEqual(settled, ["k1=k1"]);
    onPage([{ key: "TWIN" }]);
    await twice;
    onPage([{ key: "twin" }]);
    finish();
    await absent;
    assert.deepStrictEqual(settled, ["k1=k1", "twin=TWIN", "gone=undefined"]);
    assert.strictEqual(await snapshot.lookup("twin"), undefined, "a key two listed objects share is left out from then on");
  });

  it("falls back to single reads when the list fails, and takes the list again once it is too old", async () => {
    let now = 0;
    let lists = 0;
    let fail = true;
    const snapshot = new CoalescedSnapshot(
      async () => {
        lists++;
        if (fail) throw new Error("throttled for good");
        return [{ key: "k" }];
      },
      (item) => [item.key],
      () => now,
    );
    for (let i = 0; i < DIRECT_READS_BEFORE_LIST; i++) await snapshot.lookup("k");
    assert.strictEqual(await snapshot.lookup("k"), undefined);
    fail = false;
    assert.strictEqual(await snapshot.lookup("k"), undefined);
    now += SNAPSHOT_MAX_AGE_MS + 1;
    assert.deepStrictEqual(await snapshot.lookup("k"), { key: "k" });
    assert.strictEqual(lists, 2);
  });

  describe("fresh reads (many users waiting to become mailboxes)", () => {
    function reader(listSize = 20, pageSize = 1000): { reads: CoalescedReads<{ key: string; round: number }>; calls: string[]; next: () => void } {
      const calls: string[] = [];
      let round = 1;
      const reads = new CoalescedReads(
        async (key) => {
          calls.push(`single ${key}`);
          return key === "gone" ? undefined : { key, round };
        },
        async () => {
          calls.push("list");
          return [...Array(listSize).keys()].map((i) => ({ key: `k${i}`, round }));
        },
        (item) => [item.key],
        pageSize,
      );
      return { reads, calls, next: () => void round++ };
    }

    it("answers a crowd with one list, an object the list lacks on its own, and a few callers one by one", async () => {
      const { reads, calls } = reader();
      const crowd = await Promise.all([...[...Array(12).keys()].map((i) => reads.lookup(`K${i}`)), reads.lookup("gone")]);
      assert.deepStrictEqual(crowd.slice(0, 2), [{ key: "k0", round: 1 }, { key: "k1", round: 1 }]);
      assert.strictEqual(crowd.at(-1), undefined);
      assert.deepStrictEqual(calls, ["list", "single gone"]);
      calls.length = 0;
      await Promise.all([reads.lookup("k1"), reads.lookup("k2")]);
      assert.deepStrictEqual(calls, ["single k1", "single k2"]);
    });

    it("reads one by one when the waiters are fewer than the pages the last list took", async () => {
      const { reads, calls } = reader(1500, 100);
      await Promise.all([...Array(20).keys()].map((i) => reads.lookup(`k${i}`)));
      assert.deepStrictEqual(calls, ["list"]);
      calls.length = 0;
      await Promise.all([...Array(12).keys()].map((i) => reads.lookup(`k${i}`)));
      assert.deepStrictEqual(calls.length, 12, "12 waiters against a 15-page list: 12 single reads");
      assert.ok(!calls.includes("list"));
      calls.length = 0;
      await Promise.all([...Array(16).keys()].map((i) => reads.lookup(`k${i}`)));
      assert.deepStrictEqual(calls, ["list"], "16 waiters against 15 pages: one list");
    });

    it("takes a key the list lacks as absent when the list holds every object sought (all mailboxes), unless the list failed", async () => {
      const calls: string[] = [];
      let listFails = false;
      const reads = new CoalescedReads(
        async (key) => (calls.push(`single ${key}`), undefined),
        async () => {
          calls.push("list");
          if (listFails) throw new Error("throttled");
          return [{ key: "mailbox" }];
        },
        (item: { key: string }) => [item.key],
        1000,
        0,
        true,
      );
      const crowd = await Promise.all([reads.lookup("mailbox"), ...[...Array(9).keys()].map((i) => reads.lookup(`mail-user-${i}`))]);
      assert.deepStrictEqual(crowd[0], { key: "mailbox" });
      assert.ok(crowd.slice(1).every((answer) => answer === undefined));
      assert.deepStrictEqual(calls, ["list"]);
      listFails = true;
      calls.length = 0;
      await Promise.all([...Array(9).keys()].map((i) => reads.lookup(`mail-user-${i}`)));
      assert.strictEqual(calls.filter((call) => call.startsWith("single")).length, 9);
    });

    it("never reuses an answer: the next round reads again and sees the change", async () => {
      const { reads, calls, next } = reader();
      const first = await Promise.all([...Array(10).keys()].map((i) => reads.lookup(`k${i}`)));
      next();
      const second = await Promise.all([...Array(10).keys()].map((i) => reads.lookup(`k${i}`)));
      assert.deepStrictEqual([first[0]?.round, second[0]?.round], [1, 2]);
      assert.deepStrictEqual(calls, ["list", "list"]);
    });
  });

  it("answers a batch move's sign-in and licensing reads from one Graph user list, not one each", async () => {
    const paths: string[] = [];
    const snapshots = snapshotsOver({
      exchange: { invoke: async () => [] },
      graph: {
        listAll: async <T>(path: string): Promise<T[]> => {
          paths.push(path);
          return [{ id: "u1", userPrincipalName: "alice@contoso.com", accountEnabled: false, usageLocation: "US", assignedLicenses: [] }] as T[];
        },
      } as never,
    });
    const signIn = () => snapshots.userByIdOrUpn("alice@contoso.com", ["accountEnabled"]);
    const licensing = () => snapshots.userByIdOrUpn("alice@contoso.com", ["id", "userPrincipalName", "usageLocation", "assignedLicenses", "licenseAssignmentStates"]);
    for (let i = 0; i < DIRECT_READS_BEFORE_LIST; i++) await signIn();
    assert.strictEqual((await signIn())?.accountEnabled, false);
    assert.strictEqual((await licensing())?.usageLocation, "US");
    assert.strictEqual(paths.length, 1, paths.join("\n"));
    assert.match(paths[0], /\$select=.*accountEnabled.*assignedLicenses.*usageLocation/);
  });
});
