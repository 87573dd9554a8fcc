/**
 * Evidence bundles (`"schema": "v2g-evidence-bundle/3"`; `/2` and `/1` are still read; documented
 * in docs/evidence-bundle.md): everything that proves what happened in one session — signed
 * messages, receipts, refusals, the pseudonym certificates of the session's pseudonymous signers,
 * Merkle proofs to anchored roots, the EIP-712 domain and a snapshot of the chain — as one JSON
 * file that a third party verifies offline (`verify.ts`). Loading validates it with zod.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Provider } from "ethers";
import { z } from "zod";
import {
  addressSchema,
  bytes32Schema,
  encodeMessage,
  encodeReceipt,
  signedMessageSchema,
  signedReceiptSchema,
  type Json,
} from "./codec.js";
import { RpcChainView, type ChainState } from "./chainView.js";
import { EvidenceError } from "./errors.js";
import type { SignedMessage, SignedReceipt } from "./messages.js";
import { encodePseudonymCert, signedPseudonymCertSchema, type SignedPseudonymCert } from "./pseudonymCerts.js";
import type { EvidenceStore, RefusalRecord } from "./store.js";
import { EVIDENCE_DOMAIN_NAME, EVIDENCE_DOMAIN_VERSION, EVIDENCE_TYPES_VERSIONS, type EvidenceTypesVersion } from "./types.js";

/** The schema id written today (type table version 2, with pseudonym certificates). */
export const BUNDLE_SCHEMA_ID = "v2g-evidence-bundle/3";
/** Every schema id read. */
export const BUNDLE_SCHEMA_IDS = ["v2g-evidence-bundle/1", "v2g-evidence-bundle/2", BUNDLE_SCHEMA_ID] as const;
export type BundleSchemaId = (typeof BUNDLE_SCHEMA_IDS)[number];

/** The evidence type table each bundle version carries: `/1` table 1, `/2` and `/3` table 2. */
const TYPES_VERSION_OF: Record<BundleSchemaId, EvidenceTypesVersion> = {
  "v2g-evidence-bundle/1": 1,
  "v2g-evidence-bundle/2": 2,
  "v2g-evidence-bundle/3": 2,
};
export const typesVersionOf = (schema: BundleSchemaId): EvidenceTypesVersion => TYPES_VERSION_OF[schema];
/** True for the bundle versions that carry pseudonym certificates (3 and later). */
export const carriesCertificates = (schema: BundleSchemaId): boolean => schema !== "v2g-evidence-bundle/1" && schema !== "v2g-evidence-bundle/2";

export interface BundleBatch {
  root: string;
  kind: number;
  count: number;
  anchor: { txHash: string; blockNumber: number; blockTime: number; submitter: string };
  /** Merkle proof of each of the session's digests under `root`. */
  proofs: { digest: string; proof: string[] }[];
}

export interface BundleDomain {
  name: string;
  version: string;
  chainId: bigint;
  verifyingContract: string;
}

export interface EvidenceBundle {
  schema: BundleSchemaId;
  sessionId: string;
  createdAt: string;
  domain: BundleDomain;
  messages: SignedMessage[];
  receipts: SignedReceipt[];
  refusals: RefusalRecord[];
  /** Version 3: the certificate of each pseudonym that signed a message or receipt (empty before). */
  certificates: SignedPseudonymCert[];
  batches: BundleBatch[];
  /** The chain's answers when the bundle was built; null if built without chain access. */
  chainState: ChainState | null;
}

/** Answer of a dispute query: an unknown session is an explicit `found: false`, never empty. */
export type SessionQuery =
  | { found: false; sessionId: string }
  | ({ found: true; sessionId: string; batches: BundleBatch[] } & Pick<
      EvidenceBundle,
      "messages" | "receipts" | "refusals"
    >);

/** Where `buildBundle` reads the chain: any provider and the ledger (its registry is read from it). */
export interface BundleChainSource {
  provider: Provider;
  ledger?: string;
}

const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const decimal = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, "must be a decimal integer string")
  .transform(BigInt);
const nullable = <T extends z.ZodTypeAny>(t: T) => t.nullable();
const strict = <T extends z.ZodRawShape>(shape: T) => z.object(shape).strict();

/** Rejects two entries of `list` with the same key: one file must mean one thing to every reader. */
function unique<T, I>(list: z.ZodType<T[], z.ZodTypeDef, I>, what: string, keyOf: (x: T) => string) {
  return list.superRefine((xs, ctx) => {
    const seen = new Set<string>();
    xs.forEach((x: T, i: number) => {
      const k = keyOf(x).toLowerCase();
      if (seen.has(k)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: `duplicate ${what} ${k}` });
      seen.add(k);
    });
  });
}

const chainStateSchema = strict({
  chainId: decimal,
  ledger: addressSchema,
  registry: addressSchema,
  blockNumber: uint,
  blockTime: uint,
  anchors: unique(
    z.array(strict({ root: bytes32Schema, submitter: addressSchema, anchoredAt: uint, count: uint, kind: uint })),
    "anchor",
    (a) => `${a.submitter}/${a.root}`,
  ),
  keys: unique(
    z.array(strict({ key: addressSchema, participant: addressSchema, validFrom: uint, validUntil: uint })),
    "key",
    (k) => k.key,
  ),
  origins: unique(
    z.array(
      strict({ digest: bytes32Schema, origin: addressSchema, recordedAt: uint, receiptDeadline: uint, status: uint }),
    ),
    "origin",
    (o) => o.digest,
  ),
  receipts: unique(
    z.array(strict({ nroDigest: bytes32Schema, receiver: addressSchema, receivedAt: uint, recordedAt: uint })),
    "receipt",
    (r) => r.nroDigest,
  ),
  suppliers: unique(z.array(addressSchema), "supplier", (a) => a).optional(),
});

/** The zod schema of a bundle file; parsing yields an `EvidenceBundle` with decoded value types. */
export const bundleSchema = strict({
  schema: z.enum(BUNDLE_SCHEMA_IDS),
  sessionId: bytes32Schema,
  createdAt: z.string().datetime(),
  domain: strict({
    name: z.literal(EVIDENCE_DOMAIN_NAME),
    version: z.enum(EVIDENCE_TYPES_VERSIONS.map(String) as [string, ...string[]]),
    chainId: decimal,
    verifyingContract: addressSchema,
  }),
  messages: z.array(signedMessageSchema),
  receipts: z.array(signedReceiptSchema),
  refusals: z.array(
    strict({
      nroDigest: bytes32Schema,
      sessionId: bytes32Schema,
      origin: addressSchema,
      deadline: uint,
      txHash: nullable(bytes32Schema),
      blockNumber: nullable(uint),
      blockTime: nullable(uint),
    }),
  ),
  certificates: unique(
    unique(z.array(signedPseudonymCertSchema), "certificate", (c) => c.digest),
    "certificate of pseudonym",
    (c) => c.value.pseudonym,
  ).optional(),
  batches: z.array(
    strict({
      root: bytes32Schema,
      kind: uint,
      count: uint,
      anchor: strict({ txHash: bytes32Schema, blockNumber: uint, blockTime: uint, submitter: addressSchema }),
      proofs: z.array(strict({ digest: bytes32Schema, proof: z.array(bytes32Schema) })),
    }),
  ),
  chainState: nullable(chainStateSchema),
}).superRefine((b, ctx) => {
  // Each schema carries one type table: its domain version, and every header of that version.
  const version = String(typesVersionOf(b.schema));
  if (b.domain.version !== version) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["domain", "version"], message: `must be "${version}" in ${b.schema}` });
  }
  b.messages.forEach((m, i) => {
    if ((m.header.receiver !== undefined) !== (version !== "1")) {
      const message = `a version ${version} header ${version === "1" ? "has no" : "needs its"} receiver and receipt deadline`;
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["messages", i, "header"], message });
    }
  });
  // Certificates, and the snapshot's suppliers, are in version 3 files and only there.
  const v3 = carriesCertificates(b.schema);
  const needs = (present: boolean, path: (string | number)[], what: string) => {
    if (present !== v3) ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: `${what} ${v3 ? "required" : "not allowed"} in ${b.schema}` });
  };
  needs(b.certificates !== undefined, ["certificates"], "certificates");
  if (b.chainState !== null) needs(b.chainState.suppliers !== undefined, ["chainState", "suppliers"], "suppliers");
});

/** Validates a parsed JSON value as a bundle; anything else is `EvidenceError("BUNDLE_SCHEMA")`. */
export function parseBundle(json: unknown): EvidenceBundle {
  const parsed = bundleSchema.safeParse(json);
  if (!parsed.success) {
    throw new EvidenceError("BUNDLE_SCHEMA", "not a valid v2g-evidence-bundle file", { issues: parsed.error.issues });
  }
  return { ...parsed.data, certificates: parsed.data.certificates ?? [] } as EvidenceBundle;
}

/** The JSON form of a bundle (bigints as decimal strings, keys in schema order). */
export function bundleToJson(b: EvidenceBundle): Record<string, Json> {
  const state = b.chainState;
  return {
    schema: b.schema,
    sessionId: b.sessionId,
    createdAt: b.createdAt,
    domain: { ...b.domain, chainId: b.domain.chainId.toString() },
    messages: b.messages.map(encodeMessage),
    receipts: b.receipts.map(encodeReceipt),
    refusals: b.refusals as unknown as Json[],
    ...(carriesCertificates(b.schema) ? { certificates: b.certificates.map(encodePseudonymCert) } : {}),
    batches: b.batches as unknown as Json[],
    chainState: state === null ? null : ({ ...state, chainId: state.chainId.toString() } as unknown as Json),
  };
}

export function readBundle(path: string): EvidenceBundle {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new EvidenceError("BAD_INPUT", "cannot read the bundle file", { path }, cause);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new EvidenceError("BUNDLE_SCHEMA", "the bundle file is not JSON", { path }, cause);
  }
  return parseBundle(json);
}

export function writeBundle(path: string, bundle: EvidenceBundle): void {
  try {
    writeFileSync(path, JSON.stringify(bundleToJson(bundle), null, 2) + "\n", { flag: "w" });
  } catch (cause) {
    throw new EvidenceError("BAD_INPUT", "cannot write the bundle file", { path }, cause);
  }
}

/** The dispute query: everything the store holds about `sessionId`, with proofs to anchored roots. */
export function querySession(store: EvidenceStore, sessionId: string): SessionQuery {
  const records = store.session(sessionId);
  const id = sessionId.toLowerCase();
  if (records.messages.length === 0 && records.receipts.length === 0) return { found: false, sessionId: id };
  const batches = new Map<string, BundleBatch>();
  for (const digest of [...records.messages, ...records.receipts].map((x) => x.digest)) {
    for (const { batch, proof } of store.batches.containing(digest)) {
      if (!batch.anchor) continue;
      const { txHash, blockNumber, blockTime, submitter } = batch.anchor;
      const entry = batches.get(batch.root) ?? {
        root: batch.root,
        kind: batch.kind,
        count: batch.count,
        anchor: { txHash, blockNumber, blockTime, submitter },
        proofs: [],
      };
      entry.proofs.push({ digest, proof });
      batches.set(batch.root, entry);
    }
  }
  return { found: true, sessionId: id, ...records, batches: [...batches.values()] };
}

/**
 * Builds the bundle of `sessionId`. With `chain`, also snapshots what the chain says (at one
 * block) about every signer's key, every anchored root, and every message's NRO/NRR record.
 * Throws `EvidenceError("NOT_FOUND")` for a session the store does not know.
 */
export async function buildBundle(
  store: EvidenceStore,
  sessionId: string,
  chain?: BundleChainSource,
): Promise<EvidenceBundle> {
  return buildBundleFrom([store], sessionId, chain);
}

/**
 * The bundle of `sessionId` from the stores of several parties of one deployment (an arbiter
 * hearing both sides): every record once, a message or receipt by its digest, a refusal by its
 * message, an anchored batch by its root with the proofs of all the stores. Throws
 * `EvidenceError("NOT_FOUND")` when no store knows the session, `EvidenceError("BAD_INPUT")` for
 * stores of different deployments.
 */
export async function buildBundleFrom(
  stores: readonly EvidenceStore[],
  sessionId: string,
  chain?: BundleChainSource,
): Promise<EvidenceBundle> {
  const [first] = stores;
  if (!first) throw new EvidenceError("BAD_INPUT", "a bundle needs at least one store");
  const other = stores.find((s) => s.chainId !== first.chainId || s.ledger.toLowerCase() !== first.ledger.toLowerCase());
  if (other) {
    throw new EvidenceError("BAD_INPUT", "the stores hold evidence of different deployments", {
      chainIds: [first.chainId.toString(), other.chainId.toString()],
      ledgers: [first.ledger, other.ledger],
    });
  }
  const found = stores.map((s) => querySession(s, sessionId)).filter((q) => q.found);
  if (found.length === 0) throw new EvidenceError("NOT_FOUND", "no evidence for this session", { sessionId: sessionId.toLowerCase() });
  const once = <T>(lists: T[][], keyOf: (x: T) => string): T[] => {
    const seen = new Map<string, T>();
    for (const x of lists.flat()) if (!seen.has(keyOf(x).toLowerCase())) seen.set(keyOf(x).toLowerCase(), x);
    return [...seen.values()];
  };
  const batches = new Map<string, BundleBatch>();
  for (const b of found.flatMap((q) => q.batches)) {
    const entry = batches.get(b.root) ?? { ...b, proofs: [] };
    entry.proofs = once([entry.proofs, b.proofs], (p) => p.digest);
    batches.set(b.root, entry);
  }
  const messages = once(found.map((q) => q.messages), (m) => m.digest);
  const receipts = once(found.map((q) => q.receipts), (r) => r.digest);
  const bundle: EvidenceBundle = {
    schema: BUNDLE_SCHEMA_ID,
    sessionId: sessionId.toLowerCase(),
    createdAt: new Date().toISOString(),
    domain: {
      name: EVIDENCE_DOMAIN_NAME,
      version: EVIDENCE_DOMAIN_VERSION,
      chainId: first.chainId,
      verifyingContract: first.ledger,
    },
    messages,
    receipts,
    refusals: once(found.map((q) => q.refusals), (f) => f.nroDigest),
    certificates: certificatesFor(stores, messages, receipts),
    batches: [...batches.values()],
    chainState: null,
  };
  if (chain) bundle.chainState = await captureChainState(first, bundle, chain);
  return bundle;
}

/**
 * The certificate of each pseudonymous signer of `messages` and `receipts` (a party that signs
 * with its own key), from whichever store keeps one: for a pseudonym whose REQ_EV is among the
 * messages, the certificate that request names; otherwise the first one kept. One per pseudonym.
 */
function certificatesFor(stores: readonly EvidenceStore[], messages: SignedMessage[], receipts: SignedReceipt[]): SignedPseudonymCert[] {
  const named = new Map<string, string>();
  for (const m of messages) if (m.type === "ReqEv") named.set(m.party.toLowerCase(), (m as SignedMessage<"ReqEv">).body.pseudonymCert);
  const signers = [...messages.map((m) => [m.party, m.signer]), ...receipts.map((r) => [r.receiver, r.signer])];
  const pseudonyms = new Set(signers.filter(([party, signer]) => party!.toLowerCase() === signer!.toLowerCase()).map(([party]) => party!.toLowerCase()));
  const certificates: SignedPseudonymCert[] = [];
  for (const p of pseudonyms) {
    const digest = named.get(p);
    const kept = stores.flatMap((s) => (digest === undefined ? s.certificates.of(p) : [s.certificates.get(digest)].filter((c) => c !== null)));
    const cert = kept.find((c) => c.value.pseudonym.toLowerCase() === p);
    if (cert) certificates.push(cert);
  }
  return certificates;
}

async function captureChainState(
  store: EvidenceStore,
  b: EvidenceBundle,
  chain: BundleChainSource,
): Promise<ChainState> {
  const live = await RpcChainView.connect(chain.provider, chain.ledger ?? store.ledger);
  const chainId = await live.chainId();
  if (chainId !== store.chainId || live.ledgerAddress !== store.ledger) {
    throw new EvidenceError("CHAIN", "the chain source is another chain or ledger than the store's", {
      chainId: chainId.toString(),
      ledger: live.ledgerAddress,
    });
  }
  const { view, blockNumber, blockTime } = await live.pinned();
  const signers = [...new Set([...b.messages, ...b.receipts, ...b.certificates].map((x) => x.signer))];
  const certifiers = [...new Set(b.certificates.map((c) => c.party))];
  const digests = b.messages.map((m) => m.digest);
  const present = <T>(xs: (T | null)[]): T[] => xs.filter((x): x is T => x !== null);
  const roles = await Promise.all(certifiers.map((p) => view.isSupplier(p)));
  return {
    chainId,
    ledger: live.ledgerAddress,
    registry: live.registryAddress,
    blockNumber,
    blockTime,
    anchors: present(await Promise.all(b.batches.map((x) => view.anchorOf(x.anchor.submitter, x.root)))),
    keys: present(await Promise.all(signers.map((s) => view.signingKey(s)))),
    origins: present(await Promise.all(digests.map((d) => view.originOf(d)))),
    receipts: present(await Promise.all(digests.map((d) => view.receiptOf(d)))),
    suppliers: certifiers.filter((_, i) => roles[i]),
  };
}
