/**
 * Who may sign what: the participant registry's signing keys and roles, read through a narrow
 * interface (the chain in production, a snapshot offline). Keys are registered with
 * `registerSigningKey` of `src/evidence/keys.ts` (proof of possession and consent).
 */
import type { DynamicContract } from "../chain/deploy.js";

export type ChargingRole = "SUPPLIER" | "AGGREGATOR" | "METER" | "DCC";

export interface KeyDirectory {
  /** True if `key` is a registered signing key of `party`, valid at `at` (seconds). */
  isKeyValid(party: string, key: string, at: bigint): Promise<boolean>;
  /** True if `party` holds `role` in the registry. */
  hasRole(role: ChargingRole, party: string): Promise<boolean>;
}

/** The registry contract as a key directory. */
export class RegistryKeyDirectory implements KeyDirectory {
  constructor(private readonly registry: DynamicContract) {}

  async isKeyValid(party: string, key: string, at: bigint): Promise<boolean> {
    return Boolean(await this.registry.isKeyValid(party, key, at));
  }

  async hasRole(role: ChargingRole, party: string): Promise<boolean> {
    const id = (await this.registry[`${role}_ROLE`]()) as string;
    return Boolean(await this.registry.hasRole(id, party));
  }
}

/** An in-memory directory (a snapshot of the registry, or a test double). */
export class MemoryKeyDirectory implements KeyDirectory {
  private readonly keys = new Map<string, { party: string; from: bigint; until: bigint }>();
  private readonly roles = new Set<string>();

  addKey(party: string, key: string, from: bigint, until: bigint): this {
    this.keys.set(key.toLowerCase(), { party: party.toLowerCase(), from, until });
    return this;
  }

  grant(role: ChargingRole, party: string): this {
    this.roles.add(`${role}:${party.toLowerCase()}`);
    return this;
  }

  async isKeyValid(party: string, key: string, at: bigint): Promise<boolean> {
    const k = this.keys.get(key.toLowerCase());
    return k !== undefined && k.party === party.toLowerCase() && at >= k.from && at < k.until;
  }

  async hasRole(role: ChargingRole, party: string): Promise<boolean> {
    return this.roles.has(`${role}:${party.toLowerCase()}`);
  }
}
