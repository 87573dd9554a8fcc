/**
 * Who may sign what: the participant registry's signing keys and roles, read through a narrow
 * interface (the chain in production, a snapshot offline). Keys are registered with
 * `registerSigningKey` of `src/evidence/keys.ts` (proof of possession and consent).
 *
 * `RegistryKeyDirectory` asks the chain on every lookup; `CachedKeyDirectory` is the one shared
 * view a long-running party's verifiers use instead: each key's record and each role read once,
 * and all of them dropped as soon as the registry emits any event (a key added or revoked, a role
 * granted or revoked), which it checks for at most every `maxAgeMs` of a lookup.
 */
import type { Provider } from "ethers";
import { revertOf } from "../chain/decode.js";
import type { DynamicContract } from "../chain/deploy.js";
import { ChargingError } from "./errors.js";

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

/** A key's record in the registry (null: not registered). */
type KeyRecord = { participant: string; validFrom: bigint; validUntil: bigint } | null;

export interface CachedKeyDirectoryOptions {
  /** How long a lookup trusts the last check for registry events (default 1,000 ms; 0: every lookup). */
  readonly maxAgeMs?: number;
}

/**
 * The registry read once per key and role, refreshed on the registry's events: before a lookup
 * older than `maxAgeMs` since the last check, the blocks mined since are searched for logs of
 * the registry, and any log drops every cached entry (the registry changes rarely; a dropped entry
 * is read again). So a revocation is seen at most `maxAgeMs` after its block, and `refresh()`
 * makes it seen at once. Unreadable chain answers are `ChargingError("UNAVAILABLE")`, never a
 * cached verdict.
 */
export class CachedKeyDirectory implements KeyDirectory {
  private readonly keys = new Map<string, Promise<KeyRecord>>();
  private readonly roles = new Map<string, Promise<boolean>>();
  private readonly roleIds = new Map<ChargingRole, Promise<string>>();
  private readonly maxAgeMs: number;
  private syncedBlock: number | undefined;
  private checkedAt = -Infinity;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly registry: DynamicContract,
    private readonly provider: Provider,
    options: CachedKeyDirectoryOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 1_000;
  }

  async isKeyValid(party: string, key: string, at: bigint): Promise<boolean> {
    await this.fresh();
    const k = await this.cached(this.keys, key.toLowerCase(), () => this.readKey(key));
    return k !== null && party !== ZERO && k.participant === party.toLowerCase() && at >= k.validFrom && at < k.validUntil;
  }

  async hasRole(role: ChargingRole, party: string): Promise<boolean> {
    await this.fresh();
    const id = await this.cached(this.roleIds, role, async () => (await this.registry[`${role}_ROLE`]()) as string);
    return this.cached(this.roles, `${role}:${party.toLowerCase()}`, async () => Boolean(await this.registry.hasRole(id, party)));
  }

  /** Checks the blocks mined since the last check for registry events now (dropping the cache if any). */
  refresh(): Promise<void> {
    return (this.checking ??= this.check().finally(() => (this.checking = undefined)));
  }

  private async fresh(): Promise<void> {
    if (this.checking !== undefined) return this.checking;
    if (Date.now() - this.checkedAt >= this.maxAgeMs) return this.refresh();
  }

  private async check(): Promise<void> {
    const started = Date.now();
    const head = await this.chain(() => this.provider.getBlockNumber());
    if (this.syncedBlock === undefined) {
      // Nothing cached yet was read before this block: entries read from now on are at least this fresh.
      this.clear();
    } else if (head > this.syncedBlock) {
      const address = await this.registry.getAddress();
      const logs = await this.chain(() => this.provider.getLogs({ address, fromBlock: this.syncedBlock! + 1, toBlock: head }));
      if (logs.length > 0) this.clear();
    }
    this.syncedBlock = head;
    this.checkedAt = started;
  }

  private clear(): void {
    this.keys.clear();
    this.roles.clear();
  }

  private async readKey(key: string): Promise<KeyRecord> {
    try {
      const k = (await this.registry.signingKey(key)) as { participant: string; validFrom: bigint; validUntil: bigint };
      return { participant: String(k.participant).toLowerCase(), validFrom: BigInt(k.validFrom), validUntil: BigInt(k.validUntil) };
    } catch (error) {
      if (revertOf(error)?.name === "RegistryUnknownKey") return null;
      throw new ChargingError("UNAVAILABLE", "the participant registry did not answer", { key }, error);
    }
  }

  /** One read per entry, shared by concurrent lookups; a failed read is not kept. */
  private cached<K, V>(map: Map<K, Promise<V>>, key: K, read: () => Promise<V>): Promise<V> {
    let p = map.get(key);
    if (p === undefined) {
      p = read();
      map.set(key, p);
      p.catch(() => map.get(key) === p && map.delete(key));
    }
    return p;
  }

  private async chain<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw new ChargingError("UNAVAILABLE", "the chain did not answer the key directory", {}, error);
    }
  }
}

const ZERO = "0x0000000000000000000000000000000000000000";

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
