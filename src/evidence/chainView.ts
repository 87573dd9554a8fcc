/**
 * What a verifier needs to know about the chain, behind one interface with two implementations:
 * live reads over JSON-RPC (`RpcChainView`), and the snapshot a bundle carries of those same
 * reads (`SnapshotChainView`), so a bundle verifies offline and, with a node, against the chain.
 */
import type { Contract, Provider } from "ethers";
import { chainError, ledgerAt, registryAt, revertOf } from "./contracts.js";
import { parseAddress, parseBytes32 } from "./codec.js";
import { EvidenceError } from "./errors.js";

/** A signing key's owner and validity interval `[validFrom, validUntil)` (ParticipantRegistry). */
export interface KeyRecord {
  key: string;
  participant: string;
  validFrom: number;
  validUntil: number;
}

/** A submitter's anchor of a root (EvidenceLedger `anchorOf(submitter, root)`). */
export interface AnchorRecord {
  root: string;
  submitter: string;
  anchoredAt: number;
  count: number;
  kind: number;
}

/** A recorded proof of origin (EvidenceLedger `originOf`); status 1 awaiting, 2 receipted, 3 refused. */
export interface OriginRecord {
  digest: string;
  origin: string;
  recordedAt: number;
  receiptDeadline: number;
  status: number;
}

/** A recorded proof of receipt (EvidenceLedger `receiptOf`). */
export interface ReceiptRecord {
  nroDigest: string;
  receiver: string;
  receivedAt: number;
  recordedAt: number;
}

/** The reads of a chain view frozen at one block: what a bundle carries as `chainState`. */
export interface ChainState {
  chainId: bigint;
  ledger: string;
  registry: string;
  blockNumber: number;
  blockTime: number;
  anchors: AnchorRecord[];
  keys: KeyRecord[];
  origins: OriginRecord[];
  receipts: ReceiptRecord[];
  /**
   * Bundle version 3: of the participants that signed the bundle's pseudonym certificates, those
   * holding the registry's SUPPLIER_ROLE (absent in versions 1 and 2, which carry no certificates).
   */
  suppliers?: string[];
}

export interface ChainView {
  chainId(): Promise<bigint>;
  /** Address of the EvidenceLedger this view reads. */
  ledger(): Promise<string>;
  /** Address of the ParticipantRegistry the ledger reads (the domain of pseudonym certificates). */
  registry(): Promise<string>;
  /** True if `participant` holds the registry's SUPPLIER_ROLE. */
  isSupplier(participant: string): Promise<boolean>;
  /** The key's record, or null if the key was never registered. */
  signingKey(key: string): Promise<KeyRecord | null>;
  isKeyValid(participant: string, key: string, time: number | bigint): Promise<boolean>;
  /** `submitter`'s anchor of `root`: anchors are keyed by both, so a copied root is another anchor. */
  anchorOf(submitter: string, root: string): Promise<AnchorRecord | null>;
  originOf(digest: string): Promise<OriginRecord | null>;
  receiptOf(nroDigest: string): Promise<ReceiptRecord | null>;
}

const NOT_FOUND = new Set(["EvidenceNotFound", "EvidenceAnchorNotFound", "RegistryUnknownKey"]);

/** Live reads over any ethers provider, optionally pinned to one block. */
export class RpcChainView implements ChainView {
  private constructor(
    readonly provider: Provider,
    private readonly ledgerContract: Contract,
    private readonly registryContract: Contract,
    readonly ledgerAddress: string,
    readonly registryAddress: string,
    private readonly blockTag: number | "latest",
  ) {}

  /** Connects to the ledger at `ledgerAddress`; its registry is read from the ledger itself. */
  static async connect(
    provider: Provider,
    ledgerAddress: string,
    blockTag: number | "latest" = "latest",
  ): Promise<RpcChainView> {
    const ledger = parseAddress(ledgerAddress, "ledger");
    const code = await provider.getCode(ledger).catch((e: unknown) => Promise.reject(chainError("getCode", e)));
    if (code === "0x") throw new EvidenceError("CHAIN", "no contract at the ledger address", { ledger });
    const ledgerContract = ledgerAt(ledger, provider);
    const registry = String(await read("REGISTRY", () => ledgerContract.REGISTRY!()));
    return new RpcChainView(provider, ledgerContract, registryAt(registry, provider), ledger, registry, blockTag);
  }

  /** The same view pinned to the current head block (consistent reads for a snapshot). */
  async pinned(): Promise<{ view: RpcChainView; blockNumber: number; blockTime: number }> {
    const block = await this.provider.getBlock("latest");
    if (!block) throw new EvidenceError("CHAIN", "no latest block");
    const view = new RpcChainView(
      this.provider,
      this.ledgerContract,
      this.registryContract,
      this.ledgerAddress,
      this.registryAddress,
      block.number,
    );
    return { view, blockNumber: block.number, blockTime: block.timestamp };
  }

  async chainId(): Promise<bigint> {
    return (await this.provider.getNetwork()).chainId;
  }

  async ledger(): Promise<string> {
    return this.ledgerAddress;
  }

  async registry(): Promise<string> {
    return this.registryAddress;
  }

  private supplierRole: Promise<string> | undefined;

  async isSupplier(participant: string): Promise<boolean> {
    const who = parseAddress(participant, "participant");
    this.supplierRole ??= read("SUPPLIER_ROLE", async () => String(await this.registryContract.SUPPLIER_ROLE!()));
    const role = await this.supplierRole;
    return Boolean(await read("hasRole", () => this.registryContract.hasRole!(role, who, { blockTag: this.blockTag })));
  }

  async signingKey(key: string): Promise<KeyRecord | null> {
    const k = parseAddress(key, "key");
    const r = await maybe("signingKey", () => this.registryContract.signingKey!(k, { blockTag: this.blockTag }));
    if (!r) return null;
    return {
      key: k,
      participant: String(r.participant),
      validFrom: Number(r.validFrom),
      validUntil: Number(r.validUntil),
    };
  }

  async isKeyValid(participant: string, key: string, time: number | bigint): Promise<boolean> {
    const args = [parseAddress(participant, "participant"), parseAddress(key, "key"), BigInt(time)];
    return Boolean(
      await read("isKeyValid", () => this.registryContract.isKeyValid!(...args, { blockTag: this.blockTag })),
    );
  }

  async anchorOf(submitter: string, root: string): Promise<AnchorRecord | null> {
    const by = parseAddress(submitter, "submitter");
    const id = parseBytes32(root, "root");
    const a = await maybe("anchorOf", () => this.ledgerContract.anchorOf!(by, id, { blockTag: this.blockTag }));
    if (!a) return null;
    return {
      root: id,
      submitter: String(a.submitter),
      anchoredAt: Number(a.anchoredAt),
      count: Number(a.count),
      kind: Number(a.kind),
    };
  }

  async originOf(digest: string): Promise<OriginRecord | null> {
    const d = parseBytes32(digest, "digest");
    const o = await maybe("originOf", () => this.ledgerContract.originOf!(d, { blockTag: this.blockTag }));
    if (!o) return null;
    return {
      digest: d,
      origin: String(o.origin),
      recordedAt: Number(o.recordedAt),
      receiptDeadline: Number(o.receiptDeadline),
      status: Number(o.status),
    };
  }

  async receiptOf(nroDigest: string): Promise<ReceiptRecord | null> {
    const d = parseBytes32(nroDigest, "nroDigest");
    const r = await maybe("receiptOf", () => this.ledgerContract.receiptOf!(d, { blockTag: this.blockTag }));
    if (!r) return null;
    return {
      nroDigest: d,
      receiver: String(r.receiver),
      receivedAt: Number(r.receivedAt),
      recordedAt: Number(r.recordedAt),
    };
  }
}

async function read<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw chainError(action, error);
  }
}

/** A read that reverts with a "not found" error yields null; any other failure throws. */
async function maybe<T>(action: string, call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    const revert = revertOf(error);
    if (revert && NOT_FOUND.has(revert.name)) return null;
    throw chainError(action, error);
  }
}

const anchorKey = (submitter: string, root: string) => `${submitter.toLowerCase()}/${root.toLowerCase()}`;

/** Answers from a bundle's `chainState`: what the chain said when the bundle was built. */
export class SnapshotChainView implements ChainView {
  private readonly keys: Map<string, KeyRecord>;
  private readonly anchors: Map<string, AnchorRecord>;
  private readonly origins: Map<string, OriginRecord>;
  private readonly receipts: Map<string, ReceiptRecord>;
  private readonly suppliers: Set<string>;

  constructor(private readonly state: ChainState) {
    this.keys = new Map(state.keys.map((k) => [k.key.toLowerCase(), k]));
    this.anchors = new Map(state.anchors.map((a) => [anchorKey(a.submitter, a.root), a]));
    this.origins = new Map(state.origins.map((o) => [o.digest.toLowerCase(), o]));
    this.receipts = new Map(state.receipts.map((r) => [r.nroDigest.toLowerCase(), r]));
    this.suppliers = new Set((state.suppliers ?? []).map((p) => p.toLowerCase()));
  }

  async chainId(): Promise<bigint> {
    return this.state.chainId;
  }

  async ledger(): Promise<string> {
    return this.state.ledger;
  }

  async registry(): Promise<string> {
    return this.state.registry;
  }

  async isSupplier(participant: string): Promise<boolean> {
    return this.suppliers.has(participant.toLowerCase());
  }

  async signingKey(key: string): Promise<KeyRecord | null> {
    return this.keys.get(key.toLowerCase()) ?? null;
  }

  async isKeyValid(participant: string, key: string, time: number | bigint): Promise<boolean> {
    const k = this.keys.get(key.toLowerCase());
    const t = BigInt(time);
    return (
      k !== undefined &&
      k.participant.toLowerCase() === participant.toLowerCase() &&
      t >= BigInt(k.validFrom) &&
      t < BigInt(k.validUntil)
    );
  }

  async anchorOf(submitter: string, root: string): Promise<AnchorRecord | null> {
    return this.anchors.get(anchorKey(submitter, root)) ?? null;
  }

  async originOf(digest: string): Promise<OriginRecord | null> {
    return this.origins.get(digest.toLowerCase()) ?? null;
  }

  async receiptOf(nroDigest: string): Promise<ReceiptRecord | null> {
    return this.receipts.get(nroDigest.toLowerCase()) ?? null;
  }
}
