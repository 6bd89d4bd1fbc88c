/**
 * `owned=`: what the tenant's other admins made, which the stack must neither take over nor remove.
 * The fault journey plants two sorts before its first stage and counts those left as they were:
 * - objects in the stack's way (a connector of the stack's connector's name, a mail user for a
 *   user of the CSV): the first `up` must refuse each, naming it, and a `destroy` must leave it;
 *   then their admin removes them, as docs/recovery.md says, and the journey begins;
 * - objects beside everything the stack will create (an outbound connector, a mail user, a
 *   transport rule of their own), checked after decommission.
 */
import { randomBytes } from "crypto";
import type { SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { configureStage, control, stages } from "../../scripts/journey";
import { exchangeToken, invokeRaw, trustCa } from "../sandbox/harness";
import type { Secret, World } from "./world";

type Kind = "connectors" | "recipients" | "transportRules";

interface ForeignObject {
  kind: Kind;
  name: string;
  cmdlet: string;
  parameters: Record<string, unknown>;
  /** In the stack's way: the cmdlet and identity that remove it, and the words of the refusal that names it. */
  inTheWay?: { remove: string; identity: string; refusal: string };
}

type TenantLists = Record<Kind, { name: string }[]>;

export interface ForeignCheck {
  tried: number;
  untouched: number;
  failures: string[];
}

const lowerName = (value: string): string => value.toLowerCase();

export class ForeignObjects {
  private readonly planted = new Map<ForeignObject, string>();

  private constructor(
    private readonly sandbox: SandboxHandle,
    private readonly objects: ForeignObject[],
    /** The foreign mail user's password: generated, so the secret scan can look for it. */
    readonly password: Secret,
  ) {}

  /** `csvUser`: a user of the stack's CSV, whose mail user another admin made first. */
  static of(sandbox: SandboxHandle, csvUser: string): ForeignObjects {
    const password = `Fx-${randomBytes(12).toString("base64url")}-9a`;
    const connector = "Google Workspace coexistence";
    const objects: ForeignObject[] = [
      {
        kind: "connectors",
        name: connector,
        cmdlet: "New-OutboundConnector",
        parameters: { Name: connector, ConnectorType: "Partner", RecipientDomains: ["partner.example"], SmartHosts: ["mail.partner.example"], UseMXRecord: false },
        inTheWay: { remove: "Remove-OutboundConnector", identity: connector, refusal: `"${connector}" already exists and was not created by this stack` },
      },
      {
        kind: "recipients",
        name: "Made by hand",
        cmdlet: "New-MailUser",
        parameters: { Name: "Made by hand", ExternalEmailAddress: csvUser, MicrosoftOnlineServicesID: csvUser, Password: password },
        inTheWay: { remove: "Remove-MailUser", identity: csvUser, refusal: `${csvUser} (MailUser Made by hand) already exists and was not created by this stack` },
      },
      {
        kind: "connectors",
        name: "Fabrikam partner relay",
        cmdlet: "New-OutboundConnector",
        parameters: { Name: "Fabrikam partner relay", ConnectorType: "Partner", RecipientDomains: ["fabrikam.example"], SmartHosts: ["mail.fabrikam.example"], UseMXRecord: false },
      },
      {
        kind: "recipients",
        name: "Fabrikam partner",
        cmdlet: "New-MailUser",
        parameters: { Name: "Fabrikam partner", ExternalEmailAddress: "partner@fabrikam.example", MicrosoftOnlineServicesID: "partner@contoso.onmicrosoft.com", Password: password },
      },
      { kind: "transportRules", name: "Fabrikam disclaimer", cmdlet: "New-TransportRule", parameters: { Name: "Fabrikam disclaimer", Comments: "owned by the Fabrikam team" } },
    ];
    return new ForeignObjects(sandbox, objects, { name: "foreign mail user's password", value: password });
  }

  /** The names of the foreign connectors and recipients (lower case), which the inventory does not count as orphans. */
  get names(): Set<string> {
    return new Set(this.objects.filter((o) => !o.inTheWay).map((o) => lowerName(o.name)));
  }

  /**
   * Creates every foreign object with the fault injection paused (an admin's console is not
   * ours to fault), then restores the faults and clears the request counts.
   */
  async plant(): Promise<void> {
    await this.withoutFaults(async (invoke) => {
      for (const object of this.objects) await invoke(object.cmdlet, object.parameters, `planting the foreign ${object.name}`);
      const lists = await this.lists();
      for (const object of this.objects) this.planted.set(object, JSON.stringify(this.find(lists, object)));
    });
  }

  /**
   * The first stage's `up` with the objects in its way, one at a time (what one refusal stops,
   * such as everything that waits for the connector, never reaches the next): the `up` must fail
   * naming the object, a `destroy` follows, and the object must be as planted. Then its admin
   * removes it, and finally the journey begins.
   */
  async refusedInTheWay(world: World): Promise<ForeignCheck> {
    const inTheWay = this.objects.filter((object) => object.inTheWay);
    const result: ForeignCheck = { tried: inTheWay.length, untouched: 0, failures: [] };
    await this.withoutFaults(async (invoke) => {
      await configureStage(world.stack, stages[0], world.population.departments);
      for (const object of inTheWay) {
        const failure = await world.tryUp(`up with the foreign ${object.name} in the way`);
        if (!failure?.includes(object.inTheWay!.refusal)) result.failures.push(`the up with the foreign ${object.name} in its way did not refuse it with "${object.inTheWay!.refusal}"`);
        await world.run(`destroy with the foreign ${object.name} in the way`, () => world.stack.destroy());
        const check = await this.check([object]);
        result.untouched += check.untouched;
        result.failures.push(...check.failures);
        await invoke(object.inTheWay!.remove, { Identity: object.inTheWay!.identity, Confirm: false }, `removing the foreign ${object.name}`);
      }
    });
    return result;
  }

  /** Each of `objects` (default: those beside the stack's) still there with every field as planted. */
  async check(objects: ForeignObject[] = this.objects.filter((object) => !object.inTheWay)): Promise<ForeignCheck> {
    const lists = await this.lists();
    const failures: string[] = [];
    for (const object of objects) {
      const before = this.planted.get(object);
      const now = this.find(lists, object);
      if (now === undefined) failures.push(`the foreign ${object.name} (${object.kind}) is gone`);
      else if (JSON.stringify(now) !== before) failures.push(`the foreign ${object.name} (${object.kind}) changed: was ${before}, is ${JSON.stringify(now)}`);
    }
    return { tried: objects.length, untouched: objects.length - failures.length, failures };
  }

  /**
   * Runs `work` with the fault injection paused (an admin's console is not ours to fault), then
   * restores the faults and clears the request counts.
   */
  private async withoutFaults(work: (invoke: (cmdlet: string, parameters: Record<string, unknown>, what: string) => Promise<void>) => Promise<void>): Promise<void> {
    const faults = await control(this.sandbox, "GET", "/sandbox/faults");
    await control(this.sandbox, "PUT", "/sandbox/faults", {});
    try {
      trustCa(this.sandbox.env.NODE_EXTRA_CA_CERTS);
      const token = await exchangeToken(this.sandbox);
      await work(async (cmdlet, parameters, what) => {
        const answer = await invokeRaw(this.sandbox, token, cmdlet, parameters);
        if (answer.status !== 200) throw new Error(`${what}: ${cmdlet} answered HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
      });
    } finally {
      await control(this.sandbox, "PUT", "/sandbox/faults", faults);
      await control(this.sandbox, "POST", "/sandbox/stats/reset");
    }
  }

  private async lists(): Promise<TenantLists> {
    const state = (await control(this.sandbox, "GET", "/sandbox/state")) as { tenants: TenantLists[] };
    return state.tenants[0];
  }

  private find(lists: TenantLists, object: ForeignObject): unknown {
    return lists[object.kind].find((record) => lowerName(record.name) === lowerName(object.name));
  }
}
