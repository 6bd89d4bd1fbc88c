import * as assert from "node:assert/strict";
import {
  actionForExisting,
  createReadingFirst,
  creationToken,
  deleteAction,
  markedOwner,
  ownerMark,
  ownershipAfter,
  withOwnerMark,
  withoutOwnerMark,
  type DeleteAction,
  type ExistingObject,
  type ExistingObjectAction,
} from "../../../provider/resources/ownership";

const OWNER = "migration/production";

describe("ownership", () => {
  describe("marks", () => {
    it("names the stack and is found again in any comment", () => {
      assert.equal(ownerMark(OWNER), "[managed by pulumi-mail-coexistence: migration/production]");
      assert.equal(markedOwner(withOwnerMark(OWNER, "to Google")), OWNER);
      assert.equal(markedOwner(`before ${ownerMark("other/dev")} after`), "other/dev");
      assert.equal(markedOwner("a comment without a mark"), undefined);
      assert.equal(markedOwner(undefined), undefined);
    });

    it("keeps the user's comment beside the mark, and only it when the mark is taken off", () => {
      assert.equal(withOwnerMark(OWNER), ownerMark(OWNER));
      assert.equal(withOwnerMark(OWNER, "to Google"), `${ownerMark(OWNER)} to Google`);
      assert.equal(withOwnerMark(OWNER, `${ownerMark("old/stack")} to Google`), `${ownerMark(OWNER)} to Google`);
      assert.equal(withoutOwnerMark(`${ownerMark(OWNER)} to Google`), "to Google");
      assert.equal(withoutOwnerMark(ownerMark(OWNER)), undefined);
      assert.equal(withoutOwnerMark(undefined), undefined);
    });

    it("derives a 6-character creation token per owner and key, case-insensitively in the key", () => {
      const token = creationToken(OWNER, "alice@contoso.com");
      assert.match(token, /^[a-z0-9]{6}$/);
      assert.equal(creationToken(OWNER, "Alice@Contoso.com"), token);
      assert.notEqual(creationToken("migration/dev", "alice@contoso.com"), token);
      assert.notEqual(creationToken(OWNER, "bob@contoso.com"), token);
    });
  });

  describe("actionForExisting", () => {
    const cases: [string, ExistingObject | undefined, boolean, ExistingObjectAction | RegExp][] = [
      ["nothing there", undefined, false, "create"],
      ["this stack's identical object (an interrupted create)", { owner: OWNER, differences: [] }, false, "keep"],
      ["this stack's object that differs", { owner: OWNER, differences: ["smartHosts"] }, false, "update"],
      ["an unmarked object without adopt", { differences: [] }, false, /already exists and was not created by this stack; it is left as it is\. Set adopt: true/],
      ["another stack's object without adopt", { owner: "other/dev", differences: [] }, false, /is managed by the stack other\/dev/],
      ["an unmarked object with adopt", { differences: ["comment"] }, true, "adopt"],
      ["another stack's object with adopt", { owner: "other/dev", differences: [] }, true, "adopt"],
    ];
    for (const [name, existing, adopt, expected] of cases) {
      it(`${name} → ${expected instanceof RegExp ? "refused" : expected}`, () => {
        const decide = (): ExistingObjectAction => actionForExisting("OutboundConnector", 'outbound connector "To Google"', existing, { owner: OWNER, adopt });
        if (expected instanceof RegExp) assert.throws(decide, expected);
        else assert.equal(decide(), expected);
      });
    }

    it("records an adoption as adopted and everything else as created", () => {
      assert.deepEqual((["create", "keep", "update", "adopt"] as const).map(ownershipAfter), ["created", "created", "created", "adopted"]);
    });
  });

  describe("deleteAction", () => {
    const cases: [string, Parameters<typeof deleteAction>[0], Parameters<typeof deleteAction>[1], DeleteAction][] = [
      ["created, still marked", { ownership: "created" }, { keepsMark: true, owner: OWNER }, "remove"],
      ["created, now another stack's", { ownership: "created" }, { keepsMark: true, owner: "other/dev" }, "leave"],
      ["created, mark gone (re-created by someone)", { ownership: "created" }, { keepsMark: true }, "leave"],
      ["created, an object without a mark field (a domain)", { ownership: "created" }, { keepsMark: false }, "remove"],
      ["adopted", { ownership: "adopted" }, { keepsMark: true, owner: OWNER }, "restore"],
      ["adopted, domain", { ownership: "adopted" }, { keepsMark: false }, "restore"],
      ["adopted with deleteAdopted", { ownership: "adopted", deleteAdopted: true }, { keepsMark: true, owner: OWNER }, "remove"],
      ["adopted, since taken by another stack", { ownership: "adopted" }, { keepsMark: true, owner: "other/dev" }, "leave"],
      ["state from before marks, unmarked object", {}, { keepsMark: true }, "remove"],
      ["state from before marks, another stack's mark", {}, { keepsMark: true, owner: "other/dev" }, "leave"],
    ];
    for (const [name, state, live, expected] of cases) {
      it(`${name} → ${expected}`, () => assert.equal(deleteAction(state, live, OWNER), expected));
    }
  });

  describe("createReadingFirst", () => {
    const unknown = (): Error => Object.assign(new Error("connection reset"), { outcomeUnknown: true });
    /** A create that fails with an unknown outcome `faults` times (having applied it when `applies`), and the object it leaves. */
    function world(faults: number, applies: boolean): { calls: string[]; create: () => Promise<string>; find: () => Promise<string | undefined> } {
      const calls: string[] = [];
      let made: string | undefined;
      return {
        calls,
        create: async () => {
          calls.push("create");
          if (faults-- > 0) {
            if (applies) made = "left by the call";
            throw unknown();
          }
          return (made = "created");
        },
        find: async () => {
          calls.push("find");
          return made;
        },
      };
    }

    const cases: [string, number, boolean, unknown, string[]][] = [
      ["an answer: created, nothing read", 0, false, { created: "created" }, ["create"]],
      ["an unknown outcome that was applied: found on reading, never created twice", 1, true, { found: "left by the call" }, ["create", "find"]],
      ["an unknown outcome that was not applied: read, then created once more", 1, false, { created: "created" }, ["create", "find", "create"]],
    ];
    for (const [name, faults, applies, expected, calls] of cases) {
      it(name, async () => {
        const fake = world(faults, applies);
        assert.deepEqual(await createReadingFirst(fake.create, fake.find), expected);
        assert.deepEqual(fake.calls, calls);
      });
    }

    it("gives up with the error after two unknown outcomes that left nothing", async () => {
      const fake = world(2, false);
      await assert.rejects(createReadingFirst(fake.create, fake.find), /connection reset/);
      assert.deepEqual(fake.calls, ["create", "find", "create", "find"]);
    });

    it("never reads or retries after an answer that proves the call failed", async () => {
      const calls: string[] = [];
      const refused = async (): Promise<string> => {
        calls.push("create");
        throw new Error("400 already exists");
      };
      await assert.rejects(createReadingFirst(refused, async () => void calls.push("find")), /already exists/);
      assert.deepEqual(calls, ["create"]);
    });
  });
});
