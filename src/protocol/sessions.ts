/**
 * A party's table of established sessions, and routing of an incoming session message to its
 * session by the `sessionId` that follows the two header bytes of every session message.
 */
import { bytesToHex } from "../crypto/index.js";
import type { SessionChannel } from "./channel.js";
import { ProtocolError } from "./errors.js";
import { peekMessage, SESSION_ID_BYTES, type MessageName } from "./messages.js";
import type { Role } from "./roles.js";

/** An established vehicle session as the LAG holds it. */
export interface LagSession {
  readonly channel: SessionChannel;
  /** "home" after pre-shared-key authentication, "visiting" after anonymous authentication. */
  readonly mode: "home" | "visiting";
  readonly role: Role;
  /** All the LAG learns of the vehicle: its group attribute (or, at home, its subscriber entry). */
  readonly attribute: string;
  /** Digest of the authentication transcript (the evidence leaf). */
  readonly digest: string;
}

/** An established session as the vehicle holds it. */
export interface VehicleSession {
  readonly channel: SessionChannel;
  /** The LAG the session is with. */
  readonly lagId: Uint8Array;
}

/** Sessions by id. */
export class SessionTable<S extends { readonly channel: SessionChannel }> {
  private readonly byId = new Map<string, S>();

  add(session: S): void {
    this.byId.set(bytesToHex(session.channel.id), session);
  }

  get size(): number {
    return this.byId.size;
  }

  /** The session with this id; `WRONG_SESSION` if none. */
  get(sessionId: Uint8Array): S {
    const session = this.byId.get(bytesToHex(sessionId));
    if (session === undefined) throw new ProtocolError("WRONG_SESSION", "no session with this id");
    return session;
  }

  /** The message's name and session (the id right after the header). */
  route(bytes: Uint8Array): { readonly name: MessageName; readonly session: S } {
    const name = peekMessage(bytes);
    if (bytes.length < 2 + SESSION_ID_BYTES) throw new ProtocolError("MALFORMED", "message ends inside its session id");
    return { name, session: this.get(bytes.subarray(2, 2 + SESSION_ID_BYTES)) };
  }

  /** Forgets sessions that expired at `now`. */
  sweep(now: bigint): void {
    for (const [id, s] of this.byId) if (s.channel.expiresAt <= now) this.byId.delete(id);
  }
}
