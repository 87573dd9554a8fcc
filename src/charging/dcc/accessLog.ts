/**
 * The DCC's append-only access log: every read attempt, allowed or denied, is an
 * `AccessLogEntry` (EIP-712 struct under the charging domain) chained to the previous entry's
 * hash. The head (hash and length) is anchored on the evidence ledger periodically, so the DCC
 * cannot rewrite who read what: a changed, dropped or inserted entry changes every later hash.
 */
import { AbiCoder, keccak256, TypedDataEncoder, ZeroHash } from "ethers";
import { AnchorKind } from "../../evidence/types.js";
import { ARTEFACT_FIELDS, type AccessLogEntry } from "../artefactTypes.js";

/** The anchor kind of access-log heads. */
export const ACCESS_LOG_ANCHOR_KIND = AnchorKind.AccessLog;

const TYPES = { AccessLogEntry: [...ARTEFACT_FIELDS.AccessLogEntry] };

export function entryHash(entry: AccessLogEntry): string {
  return TypedDataEncoder.hashStruct("AccessLogEntry", TYPES, entry as unknown as Record<string, unknown>);
}

/** The digest anchored for a log of `count` entries ending at `head`. */
export function headDigest(head: string, count: bigint): string {
  return keccak256(AbiCoder.defaultAbiCoder().encode(["string", "bytes32", "uint64"], ["DCC access log", head, count]));
}

export type LogProblem = { kind: "broken-chain"; seq: bigint } | { kind: "bad-sequence"; seq: bigint };

/**
 * Recomputes the chain: the head of `entries` (in order, each hashed with the recomputed link,
 * so a changed entry changes the head) and any entry whose stored link is broken.
 */
export function replayLog(entries: readonly AccessLogEntry[]): { head: string; problems: LogProblem[] } {
  let prev = ZeroHash;
  const problems: LogProblem[] = [];
  entries.forEach((e, i) => {
    if (e.seq !== BigInt(i + 1)) problems.push({ kind: "bad-sequence", seq: e.seq });
    if (e.prev !== prev) problems.push({ kind: "broken-chain", seq: e.seq });
    prev = entryHash({ ...e, prev, seq: BigInt(i + 1) });
  });
  return { head: prev, problems };
}

/**
 * Checks a log against the chain: the first `count` entries must replay without problems to a
 * head whose digest is anchored (`isAnchored` asks the evidence ledger). A rewritten log fails.
 */
export async function verifyAnchoredLog(entries: readonly AccessLogEntry[], count: bigint, isAnchored: (digest: string) => Promise<boolean>): Promise<{ ok: boolean; problems: (LogProblem | { kind: "not-anchored"; count: bigint })[] }> {
  if (count > BigInt(entries.length)) return { ok: false, problems: [{ kind: "not-anchored", count }] };
  const { head, problems } = replayLog(entries.slice(0, Number(count)));
  const all: (LogProblem | { kind: "not-anchored"; count: bigint })[] = [...problems];
  if (!(await isAnchored(headDigest(head, count)))) all.push({ kind: "not-anchored", count });
  return { ok: all.length === 0, problems: all };
}
