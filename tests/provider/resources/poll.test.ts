import * as assert from "assert";
import { pollDelay } from "../../../provider/resources/poll";

describe("waiting for Exchange (licence → mailbox)", () => {
  const cases: [number, number, number][] = [
    // attempt, time left (ms), wait (ms)
    [1, 600_000, 1_000],
    [2, 600_000, 2_000],
    [3, 600_000, 4_000],
    [5, 600_000, 15_000],
    [30, 600_000, 15_000],
    [3, 2_500, 2_500],
    [3, 0, 0],
  ];
  for (const [attempt, remaining, wait] of cases) {
    it(`probe ${attempt} with ${remaining / 1000} s left waits ${wait / 1000} s`, () => {
      assert.strictEqual(pollDelay(attempt, remaining), wait);
    });
  }
});
