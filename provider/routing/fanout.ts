import type { RouteStep } from "./events";
import type { Trace } from "./model";
import type { FinalDisposition, FinalRoute, Hop, Route } from "./types";

/**
 * Every end of a route, each with all its hops from the origin: a route to a single recipient is
 * its own only end; a route that a group expanded has one end per copy (nested expansions included).
 */
export function finalRoutes(route: Route): FinalRoute[] {
  const ends: FinalRoute[] = [];
  const walk = (current: Route, before: Hop[]): void => {
    const hops = [...before, ...current.hops];
    const { disposition } = current;
    if (disposition.kind === "expanded") for (const member of disposition.members) walk(member, hops);
    else ends.push({ hops, disposition });
  };
  walk(route, []);
  return ends;
}

/** As `finalRoutes`, with the events behind each end's hops (for diagnosis). */
export function finalTraces(trace: Trace): { route: FinalRoute; steps: RouteStep[] }[] {
  const ends: { route: FinalRoute; steps: RouteStep[] }[] = [];
  const walk = (current: Trace, hops: Hop[], steps: RouteStep[]): void => {
    const allHops = [...hops, ...current.route.hops];
    const allSteps = [...steps, ...current.steps];
    const { disposition } = current.route;
    if (disposition.kind === "expanded") for (const member of current.members ?? []) walk(member, allHops, allSteps);
    else ends.push({ route: { hops: allHops, disposition }, steps: allSteps });
  };
  walk(trace, [], []);
  return ends;
}

/** What the copies of one message came to, per final recipient. */
export interface DeliveryTally {
  delivered: number;
  bounces: number;
  loops: number;
  /** Copies delivered to a mailbox that had already received one (a mailbox reached through two paths). */
  duplicates: number;
  /** The mailboxes that received more than one copy, as `system:mailbox`, with their copy count. */
  duplicated: { mailbox: string; copies: number }[];
}

/** `system:mailbox` of a delivered copy: the same address in Gmail and in Exchange Online are two mailboxes. */
export function mailboxKey(disposition: Extract<FinalDisposition, { kind: "delivered" }>): string {
  return `${disposition.system}:${disposition.mailbox}`;
}

export function tallyRoutes(routes: readonly FinalRoute[]): DeliveryTally {
  const tally: DeliveryTally = { delivered: 0, bounces: 0, loops: 0, duplicates: 0, duplicated: [] };
  const copies = new Map<string, number>();
  for (const { disposition } of routes) {
    if (disposition.kind === "ndr") tally.bounces++;
    else if (disposition.kind === "loop") tally.loops++;
    else {
      tally.delivered++;
      const key = mailboxKey(disposition);
      copies.set(key, (copies.get(key) ?? 0) + 1);
    }
  }
  for (const [mailbox, count] of copies) {
    if (count < 2) continue;
    tally.duplicates += count - 1;
    tally.duplicated.push({ mailbox, copies: count });
  }
  return tally;
}
