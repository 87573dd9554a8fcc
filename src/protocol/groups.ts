/**
 * Group commitments as the protocols use them. The registry commits each version of a group
 * as an OpenZeppelin StandardMerkleTree root (leaf type `bytes32`) over the members' 32-byte
 * ristretto255 public keys. A verifier accepts a ring only if every member belongs to the
 * committed version: either it holds the version's member list (checked once against the root)
 * or the ring is the whole group version (its root is recomputed from the ring).
 *
 * Rings are fixed buckets of the sorted member list, so every authentication of a vehicle
 * under one group version shows the same ring as every other member of its bucket: comparing
 * rings across sessions never narrows the anonymity set (no intersection attack).
 */
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import { bytesToHex, committedMembers, hexToBytes, type CommittedMembers } from "../crypto/index.js";
import { ProtocolError } from "./errors.js";
import { GROUP_ID_BYTES } from "./messages.js";

const LEAF = ["bytes32"];
const hex = (bytes: Uint8Array): string => `0x${bytesToHex(bytes)}`;

/** The tree of a member list (order does not matter: leaves are sorted). */
export function groupTree(members: readonly Uint8Array[]): StandardMerkleTree<[string]> {
  return StandardMerkleTree.of(members.map((m) => [hex(m)] as [string]), LEAF);
}

/** The committed root of a member list. */
export function groupRoot(members: readonly Uint8Array[]): Uint8Array {
  return hexToBytes(groupTree(members).root.slice(2));
}

/** Proof of membership of `member` (for `ParticipantRegistry.isGroupMember`). */
export function membershipProof(members: readonly Uint8Array[], member: Uint8Array): string[] {
  const tree = groupTree(members);
  for (const [i, [value]] of tree.entries()) if (value === hex(member)) return tree.getProof(i);
  throw new ProtocolError("NOT_IN_GROUP", "the key is not a member of this group");
}

/**
 * Splits the sorted member list into buckets of `size` (the last bucket absorbs a remainder
 * smaller than `size`, so every bucket has size..2·size−1 members).
 */
export function ringBuckets(members: readonly Uint8Array[], size: number): Uint8Array[][] {
  if (!Number.isInteger(size) || size < 2) throw new ProtocolError("MALFORMED", "ring size must be at least 2");
  const sorted = [...members].sort((a, b) => (hex(a) < hex(b) ? -1 : hex(a) > hex(b) ? 1 : 0));
  if (sorted.length <= size) return [sorted];
  const buckets: Uint8Array[][] = [];
  for (let i = 0; i + size <= sorted.length; i += size) buckets.push(sorted.slice(i, i + size));
  const rest = sorted.length % size;
  if (rest > 0) buckets[buckets.length - 1]!.push(...sorted.slice(sorted.length - rest));
  return buckets;
}

/** The ring (bucket) of `member`. */
export function ringOf(members: readonly Uint8Array[], member: Uint8Array, size: number): Uint8Array[] {
  const ring = ringBuckets(members, size).find((bucket) => bucket.some((m) => hex(m) === hex(member)));
  if (ring === undefined) throw new ProtocolError("NOT_IN_GROUP", "the key is not a member of this group");
  return ring;
}

/** One committed group version as a verifier knows it. */
export interface GroupVersionRecord {
  readonly groupId: Uint8Array;
  readonly version: bigint;
  readonly root: Uint8Array;
  readonly memberCount: number;
  /** What the group means (e.g. "subscribers of supplier S_B"): all a LAG learns of a vehicle. */
  readonly attribute: string;
  /**
   * When the version was published (the registry's `publishedAt`, Unix seconds). Publishing it
   * supersedes the previous version; when unknown, the previous version counts as superseded
   * since time 0 (no grace).
   */
  readonly publishedAt?: bigint;
}

/** Committed group versions and, where known, their verified member lists. */
export class GroupDirectory {
  private readonly versions = new Map<string, GroupVersionRecord>();
  private readonly members = new Map<string, Set<string>>();
  private readonly wholeRings = new Map<string, true>();
  private readonly latest = new Map<string, bigint>();

  private static key(groupId: Uint8Array, version: bigint): string {
    return `${bytesToHex(groupId)}/${version}`;
  }

  /** Records a committed version (as read from `ParticipantRegistry.groupVersion`). */
  commit(record: GroupVersionRecord): void {
    if (record.groupId.length !== GROUP_ID_BYTES || record.root.length !== 32 || record.memberCount < 1) {
      throw new ProtocolError("MALFORMED", "invalid group version record");
    }
    this.versions.set(GroupDirectory.key(record.groupId, record.version), record);
    const group = bytesToHex(record.groupId);
    if ((this.latest.get(group) ?? -1n) < record.version) this.latest.set(group, record.version);
  }

  /** The latest committed version of `groupId` (undefined if none). */
  latestVersion(groupId: Uint8Array): bigint | undefined {
    return this.latest.get(bytesToHex(groupId));
  }

  /**
   * Revocation: throws `SUPERSEDED_GROUP` unless `version` is the latest committed version of
   * its group, or its successor was published less than `graceSeconds` before `now`
   * (accepted while now < publishedAt(version + 1) + grace).
   */
  checkCurrent(groupId: Uint8Array, version: bigint, now: bigint, graceSeconds: bigint): void {
    const latest = this.latestVersion(groupId);
    if (latest === undefined || version >= latest) return;
    const supersededAt = this.versions.get(GroupDirectory.key(groupId, version + 1n))?.publishedAt ?? 0n;
    if (now >= supersededAt + graceSeconds) {
      throw new ProtocolError("SUPERSEDED_GROUP", "group version was superseded", {
        details: { groupId: hex(groupId), version, latest, supersededAt, graceSeconds },
      });
    }
  }

  /** The committed member set of a version whose ring `checkRing` accepted. */
  membersFor(groupId: Uint8Array, version: bigint, ring: readonly Uint8Array[]): CommittedMembers {
    const known = this.members.get(GroupDirectory.key(groupId, version));
    if (known !== undefined) return { has: (member) => known.has(bytesToHex(member)) };
    // Without a member list only a whole-version ring is accepted: the ring is the member set.
    return committedMembers(ring);
  }

  /** Adds the member list of a committed version after checking it against the root. */
  addMembers(groupId: Uint8Array, version: bigint, members: readonly Uint8Array[]): void {
    const record = this.get(groupId, version);
    const root = groupRoot(members);
    if (bytesToHex(root) !== bytesToHex(record.root) || members.length !== record.memberCount) {
      throw new ProtocolError("NOT_IN_GROUP", "member list does not match the committed root");
    }
    this.members.set(GroupDirectory.key(groupId, version), new Set(members.map(bytesToHex)));
  }

  /** The committed version; `UNKNOWN_GROUP` if not committed. */
  get(groupId: Uint8Array, version: bigint): GroupVersionRecord {
    const record = this.versions.get(GroupDirectory.key(groupId, version));
    if (record === undefined) {
      throw new ProtocolError("UNKNOWN_GROUP", "group version is not committed", {
        details: { groupId: hex(groupId), version },
      });
    }
    return record;
  }

  /** Checks that every ring member belongs to the committed version; returns the version. */
  checkRing(groupId: Uint8Array, version: bigint, ring: readonly Uint8Array[]): GroupVersionRecord {
    const record = this.get(groupId, version);
    const key = GroupDirectory.key(groupId, version);
    const known = this.members.get(key);
    if (known !== undefined) {
      ring.forEach((member, i) => {
        if (!known.has(bytesToHex(member))) {
          throw new ProtocolError("NOT_IN_GROUP", `ring member ${i} is not in the committed group`, { details: { index: i } });
        }
      });
      return record;
    }
    const ringKey = `${key}:${ring.map(bytesToHex).sort().join("")}`;
    if (this.wholeRings.has(ringKey)) return record;
    if (ring.length !== record.memberCount || bytesToHex(groupRoot(ring)) !== bytesToHex(record.root)) {
      throw new ProtocolError("NOT_IN_GROUP", "ring is not the committed group version");
    }
    this.wholeRings.set(ringKey, true);
    return record;
  }
}

/** The registry calls this module reads (an ethers contract satisfies it). */
export interface GroupRegistryReader {
  groupVersion(groupId: string, version: bigint | number): Promise<{ root: string; memberCount: bigint | number; publishedAt?: bigint | number }>;
  latestGroupVersion(groupId: string): Promise<bigint | number>;
}

/** Reads version `version` (default: the latest) of `groupId` from the registry into `directory`. */
export async function loadGroupVersion(
  registry: GroupRegistryReader,
  directory: GroupDirectory,
  groupId: Uint8Array,
  attribute: string,
  version?: bigint,
): Promise<GroupVersionRecord> {
  let record: GroupVersionRecord;
  try {
    const v = version ?? BigInt(await registry.latestGroupVersion(hex(groupId)));
    const g = await registry.groupVersion(hex(groupId), v);
    const publishedAt = g.publishedAt === undefined ? undefined : BigInt(g.publishedAt);
    record = { groupId, version: v, root: hexToBytes(g.root.slice(2)), memberCount: Number(g.memberCount), attribute, ...(publishedAt === undefined ? {} : { publishedAt }) };
  } catch (cause) {
    throw new ProtocolError("UNKNOWN_GROUP", "group version not found in the registry", { cause });
  }
  directory.commit(record);
  return record;
}
