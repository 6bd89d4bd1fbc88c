/**
 * `owned=`: what the tenant's other admins made, which the stack must neither take over nor remove.
 * The fault journey plants these before its first stage, beside everything the stack will create
 * (an outbound connector, a mail user, a transport rule of their own), and checks after
 * decommission that each is still there, unchanged in every field.
 */
import { randomBytes } from "crypto";
import type { SandboxHandle } from "pulumi-mail-coexistence-sandbox";
import { control } from "../../scripts/journey";
import { exchangeToken, invokeRaw, trustCa } from "../sandbox/harness";
import type { Secret } from "./world";

type Kind = "connectors" | "recipients" | "transportRules";

interface ForeignObject {
  kind: Kind;
  name: string;
  cmdlet: string;
  parameters: Record<string, unknown>;
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

  static of(sandbox: SandboxHandle): ForeignObjects {
    const password = `Fx-${randomBytes(12).toString("base64url")}-9a`;
    const objects: ForeignObject[] = [
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
    return new Set(this.objects.map((o) => lowerName(o.name)));
  }

  /**
   * Creates every foreign object with the fault injection paused (an admin's console is not
   * ours to fault), then restores the faults and clears the request counts.
   */
  async plant(): Promise<void> {
    const faults = await control(this.sandbox, "GET", "/sandbox/faults");
    await control(this.sandbox, "PUT", "/sandbox/faults", {});
    try {
      trustCa(this.sandbox.env.NODE_EXTRA_CA_CERTS);
      const token = await exchangeToken(this.sandbox);
      for (const object of this.objects) {
        const answer = await invokeRaw(this.sandbox, token, object.cmdlet, object.parameters);
        if (answer.status !== 200) throw new Error(`planting the foreign ${object.name}: ${object.cmdlet} answered HTTP ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
      }
      const lists = await this.lists();
      for (const object of this.objects) this.planted.set(object, JSON.stringify(this.find(lists, object)));
    } finally {
      await control(this.sandbox, "PUT", "/sandbox/faults", faults);
      await control(this.sandbox, "POST", "/sandbox/stats/reset");
    }
  }

  /** Each planted object still there with every field as planted. */
  async check(): Promise<ForeignCheck> {
    const lists = await this.lists();
    const failures: string[] = [];
    for (const [object, before] of this.planted) {
      const now = this.find(lists, object);
      if (now === undefined) failures.push(`the foreign ${object.name} (${object.kind}) is gone`);
      else if (JSON.stringify(now) !== before) failures.push(`the foreign ${object.name} (${object.kind}) changed: was ${before}, is ${JSON.stringify(now)}`);
    }
    return { tried: this.planted.size, untouched: this.planted.size - failures.length, failures };
  }

  private async lists(): Promise<TenantLists> {
    const state = (await control(this.sandbox, "GET", "/sandbox/state")) as { tenants: TenantLists[] };
    return state.tenants[0];
  }

  private find(lists: TenantLists, object: ForeignObject): unknown {
    return lists[object.kind].find((record) => lowerName(record.name) === lowerName(object.name));
  }
}
