import assert from "node:assert/strict";
import { routeMessage, type RoutingOptions } from "../../../provider/routing/model";
import type { Origin, Route, System, TenantState } from "../../../provider/routing/types";
import type { TenantBuilder } from "./tenantBuilder";

export type ExpectedRoute =
  | { delivered: "google" | "m365" | "internet"; mailbox: string; keptCopyAtGoogle?: boolean; path?: string }
  | { ndr: string; at: System; reason?: RegExp; path?: string }
  | { loop: string; at: System; reason?: RegExp };

const LETTERS: Record<System, string> = { internet: "I", google: "G", exchange: "E" };

/** The systems a route went through, in mail-routing.md §3 notation: `I → G → E`. */
export function pathOf(route: Route): string {
  const letters = route.hops.map((hop) => LETTERS[hop.system]);
  return letters.filter((letter, i) => letter !== letters[i - 1]).join(" → ");
}

export interface RoutingCase {
  name: string;
  state: TenantBuilder | TenantState;
  from: Origin;
  to: string;
  expect: ExpectedRoute;
  options?: RoutingOptions;
}

const SENDERS: Record<Origin, string | undefined> = {
  internet: undefined,
  google: "c@contoso.com",
  m365: "admin@contoso.onmicrosoft.com",
};

export function routeCase(testCase: RoutingCase): Route {
  const state = "build" in testCase.state ? testCase.state.build() : testCase.state;
  return routeMessage(state, { from: testCase.from, address: SENDERS[testCase.from] }, testCase.to, testCase.options);
}

export function assertRoute(route: Route, expected: ExpectedRoute): void {
  const { disposition } = route;
  const trace = route.hops.map((hop) => `${hop.system} ${hop.recipient}: ${hop.action}`).join("\n");
  if ("delivered" in expected) {
    const { keptCopyAtGoogle, ...delivered } = { keptCopyAtGoogle: undefined, ...disposition };
    assert.deepEqual(delivered, { kind: "delivered", system: expected.delivered, mailbox: expected.mailbox }, trace);
    if (expected.keptCopyAtGoogle !== undefined) assert.equal(keptCopyAtGoogle, expected.keptCopyAtGoogle, trace);
  } else {
    const expectedKind = "ndr" in expected ? "ndr" : "loop";
    assert.ok(disposition.kind === expectedKind, `expected ${expectedKind}, got ${disposition.kind}\n${trace}`);
    assert.equal(disposition.code, "ndr" in expected ? expected.ndr : expected.loop, trace);
    assert.equal(disposition.system, expected.at, trace);
    if (expected.reason) assert.match(disposition.reason, expected.reason, trace);
  }
  if ("path" in expected && expected.path) assert.equal(pathOf(route), expected.path, trace);
}

/** One `it` per row of a routing table. */
export function routingTable(cases: RoutingCase[]): void {
  for (const testCase of cases) {
    it(testCase.name, () => assertRoute(routeCase(testCase), testCase.expect));
  }
}
