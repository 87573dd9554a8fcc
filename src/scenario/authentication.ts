/**
 * Anonymous, context-aware authentication at one aggregator (LAG), end to end on a chain: the CA
 * enrols a group of vehicles and commits its root in the ParticipantRegistry; the LAG loads the
 * committed version, holds a CA permit, and authenticates vehicles that each sign with a ring of
 * their group (scoped key image, identity escrowed to the CA); a second authentication of the
 * same vehicle in the same scope is refused; the LAG acknowledges the batch with one signature,
 * anchors it, and every vehicle checks its inclusion against the chain.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { Signer, TypedDataDomain } from "ethers";
import { bytesToHex, createSodiumBackend, generateKeyPair } from "../crypto/index.js";
import type { DynamicContract } from "../chain/deploy.js";
import {
  acknowledgeAuthentications,
  anchorAcknowledgement,
  CentralAuthority,
  GroupDirectory,
  groupRoot,
  LagAuthenticator,
  loadGroupVersion,
  partyContext,
  ProtocolError,
  RunLog,
  VehicleAuth,
  VehicleMemory,
  verifyAcknowledgementOnChain,
  type AuthLedger,
  type GroupRegistryReader,
  type KeyRegistry,
} from "../protocol/index.js";
import type { ScenarioLog } from "./evidenceSession.js";

export interface AuthenticationOptions {
  registry: DynamicContract;
  ledger: DynamicContract;
  domain: TypedDataDomain;
  /** The registrar's account (publishes the group root). */
  registrar: Signer;
  /** The LAG's participant account (a SUBMITTER) and its registered signing key. */
  lagAccount: Signer;
  lagKey: Signer;
  /** Chain time in seconds (the protocol clock). */
  now: bigint;
  vehicles?: number;
  ringSize?: number;
}

export interface AuthenticationResult {
  authenticated: number;
  refusedReplays: number;
  attributesSeen: string[];
  ackRoot: string;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export async function runAuthentication(o: AuthenticationOptions, log: ScenarioLog): Promise<AuthenticationResult> {
  const vehicles = o.vehicles ?? 8;
  const ringSize = o.ringSize ?? 16;
  const b = await createSodiumBackend();
  const clock = o.now;
  const ctx = partyContext(b, { clock: () => clock });
  const ca = new CentralAuthority(ctx);

  // The CA enrols a group of subscribers of one supplier and commits its root on-chain.
  const groupId = sha256(text("subscribers of supplier S_B"));
  const attribute = "subscribers of supplier S_B";
  const members = Array.from({ length: Math.max(ringSize, vehicles) * 2 }, () => generateKeyPair(b));
  const publicKeys = members.map((k) => k.publicKey);
  ca.enrolGroup(groupId, 1n, publicKeys, attribute);
  await (await o.registry.connect(o.registrar).publishGroupRoot(`0x${bytesToHex(groupId)}`, `0x${bytesToHex(groupRoot(publicKeys))}`, publicKeys.length)).wait();
  log(`CA enrolled ${members.length} vehicles in "${attribute}" and committed the group root on-chain`);

  // The LAG reads the committed version from the registry and holds a CA permit.
  const directory = new GroupDirectory();
  await loadGroupVersion(o.registry as unknown as GroupRegistryReader, directory, groupId, attribute);
  directory.addMembers(groupId, 1n, publicKeys);
  const lagId = text("LAG-Public-Charging-7");
  const staticKeys = generateKeyPair(b);
  const permit = ca.issueLagPermit(lagId, staticKeys.publicKey, clock - 60n, clock + 86_400n);
  const runLog = new RunLog();
  const lag = new LagAuthenticator(ctx, { lagId, staticKeys, permit }, ca.publicKeys, directory, { log: runLog });

  const attributes = new Set<string>();
  const digests: string[] = [];
  const memories = members.map(() => new VehicleMemory());
  for (let i = 0; i < vehicles; i++) {
    const vehicle = new VehicleAuth(ctx, ca.credential(members[i]!, groupId, 1n, ringSize, "load"), ca.publicKeys, memories[i]!);
    const accepted = lag.onResponse(vehicle.onChallenge(lag.challenge()));
    const done = vehicle.onConfirm(accepted.confirm);
    attributes.add(accepted.session.attribute);
    digests.push(done.digest);
  }
  log(`LAG authenticated ${vehicles} vehicles anonymously (ring of ${ringSize}, escrow verified); it learned only: ${[...attributes].join(", ")}`);

  // The same vehicle again in the same scope (LAG, epoch): its key image gives it away.
  let refusedReplays = 0;
  try {
    const again = new VehicleAuth(ctx, ca.credential(members[0]!, groupId, 1n, ringSize, "load"), ca.publicKeys, new VehicleMemory());
    lag.onResponse(again.onChallenge(lag.challenge()));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    refusedReplays++;
    log(`a second authentication of the same vehicle in the same scope was refused (${error.code})`);
  }

  // One signature acknowledges the whole batch; anchored; each vehicle checks its inclusion.
  const lagAddress = await o.lagAccount.getAddress();
  const entries = runLog.take().map((e) => e.digest);
  const { ack, inclusions } = await acknowledgeAuthentications(ctx, o.lagKey, lagAddress, o.domain, entries);
  await (await anchorAcknowledgement(o.ledger.connect(o.lagAccount) as unknown as AuthLedger, ack)).wait();
  for (const digest of digests) {
    const inclusion = inclusions.find((x) => x.digest === digest);
    if (!inclusion) throw new Error("a vehicle's authentication is missing from the acknowledgement");
    await verifyAcknowledgementOnChain(o.domain, lagAddress, inclusion, o.registry as unknown as KeyRegistry, o.ledger as unknown as AuthLedger);
  }
  log(`LAG acknowledged the batch with one signature, anchored root ${ack.root.slice(0, 10)}…; all ${digests.length} vehicles verified their inclusion`);
  return {
    authenticated: vehicles,
    refusedReplays,
    attributesSeen: [...attributes],
    ackRoot: ack.root,
  };
}
