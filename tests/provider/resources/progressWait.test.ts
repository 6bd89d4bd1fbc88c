import * as assert from "node:assert/strict";
import { progressLine, waitWithProgress, type ProgressWait } from "../../../provider/resources/progressWait";
import { captureNotes } from "./exchangeObjects";

const pollModule: typeof import("../../../provider/resources/poll") = require("../../../provider/resources/poll");

const wait: ProgressWait = { resource: "RoutingDomain", what: "Exchange to list o365.contoso.com", timeoutSeconds: 60, setting: "acceptedDomainTimeoutSeconds" };

describe("waitWithProgress", () => {
  let now: number;
  let notes: string[];
  let restore: () => void;
  beforeEach(() => {
    now = 0;
    const clock = { ...pollModule.pollClock };
    Object.assign(pollModule.pollClock, { now: () => now, sleep: async (ms: number) => void (now += ms) });
    const captured = captureNotes();
    notes = captured.notes;
    restore = () => {
      captured.restore();
      Object.assign(pollModule.pollClock, clock);
    };
  });
  afterEach(() => restore());

  it("says what it waits for, how long so far, the limit and the setting", () => {
    assert.equal(progressLine(wait, 17), "waiting for Exchange to list o365.contoso.com: 17 s so far, at most 60 s (acceptedDomainTimeoutSeconds).");
  });

  it("returns what the probe finds, without a line when the first probe finds it", async () => {
    assert.equal(await waitWithProgress(async () => "listed", wait), "listed");
    assert.deepEqual(notes, []);
  });

  it("prints a line at the first miss and about every 15 s after, then returns what it finds", async () => {
    let probes = 0;
    const found = await waitWithProgress(async () => (now >= 40_000 ? `after ${++probes} probes` : void probes++), wait);
    assert.match(found!, /^after \d+ probes$/);
    assert.deepEqual(
      notes.map((line) => Number(/: (\d+) s so far/.exec(line)![1])),
      [0, 15, 30],
    );
  });

  it("gives up with undefined once the limit has passed", async () => {
    assert.equal(await waitWithProgress(async () => undefined, wait), undefined);
    assert.equal(now, 60_000);
    assert.equal(notes.length, 5, notes.join("\n"));
  });
});
