/**
 * Mobility, services. Basic power services are offered in every network; advanced inquiry
 * services only in the vehicle's home network (a session from the pre-shared-key
 * authentication). In a visiting network (a session from anonymous authentication) an
 * advanced request is refused with `ProtocolError("SERVICE_REFUSED")` on both sides: the
 * vehicle does not send it, and a LAG receiving one refuses it and answers with a refusal.
 */
import { guard, ProtocolError } from "./errors.js";
import type { PartyContext } from "./context.js";
import type { LagSession, VehicleSession } from "./sessions.js";

/** Service codes. Codes below 0x10 are basic power services; 0x10 and above are advanced inquiries. */
export const SERVICE = {
  /** Basic: request charging power. */
  power: 0x01,
  /** Basic: current charging state at this LAG. */
  chargingState: 0x02,
  /** Advanced: charging history kept by the home LAG. */
  history: 0x10,
  /** Advanced: tariff and renewable forecast for scheduling. */
  tariffForecast: 0x11,
  /** Advanced: subscription and account inquiry. */
  account: 0x12,
} as const;
export type ServiceName = keyof typeof SERVICE;

/** Reply status codes. */
export const SERVICE_STATUS = { ok: 0, refused: 1, unavailable: 2 } as const;

/** True for an advanced inquiry service. */
export const isAdvanced = (service: number): boolean => service >= 0x10;

function refused(service: number, mode: string): ProtocolError {
  return new ProtocolError("SERVICE_REFUSED", "advanced inquiry services are offered in the home network only", {
    details: { service, mode },
  });
}

/** The vehicle's side. */
export class VehicleServices {
  constructor(
    private readonly ctx: PartyContext,
    private readonly session: VehicleSession,
  ) {}

  /** Seals a request; an advanced request in a visiting network is refused before it is sent. */
  request(service: number, query: Uint8Array = new Uint8Array(0)): Uint8Array {
    if (isAdvanced(service) && this.session.channel.mode !== "home") throw refused(service, this.session.channel.mode);
    return guard(() => this.session.channel.seal("ServiceRequest", { service, query }, this.ctx.clock()));
  }

  /** Opens a reply; a refusal becomes `SERVICE_REFUSED`, an unavailable service `UNKNOWN_REQUEST`. */
  onReply(bytes: Uint8Array): Uint8Array {
    const reply = guard(() => this.session.channel.open("ServiceReply", bytes, this.ctx.clock()));
    if (reply.status === SERVICE_STATUS.refused) throw refused(reply.service, this.session.channel.mode);
    if (reply.status !== SERVICE_STATUS.ok) throw new ProtocolError("UNKNOWN_REQUEST", "service not available", { details: { service: reply.service } });
    return reply.payload;
  }
}

/** A LAG's handler of one service. */
export type ServiceHandler = (query: Uint8Array, session: LagSession) => Uint8Array;

/** The LAG's side. */
export class LagServices {
  constructor(
    private readonly ctx: PartyContext,
    private readonly handlers: Readonly<Partial<Record<number, ServiceHandler>>>,
  ) {}

  /**
   * Answers a request. An advanced request on a visiting session throws `SERVICE_REFUSED`,
   * whose `details.reply` holds the sealed refusal to send back.
   */
  onRequest(session: LagSession, bytes: Uint8Array): Uint8Array {
    const now = this.ctx.clock();
    const request = guard(() => session.channel.open("ServiceRequest", bytes, now));
    const reply = (status: number, payload: Uint8Array) =>
      guard(() => session.channel.seal("ServiceReply", { service: request.service, status, payload }, now));
    if (isAdvanced(request.service) && session.mode !== "home") {
      const error = refused(request.service, session.mode);
      throw new ProtocolError(error.code, error.shortMessage, { details: { ...error.details, reply: reply(SERVICE_STATUS.refused, new Uint8Array(0)) } });
    }
    const handler = this.handlers[request.service];
    if (handler === undefined) return reply(SERVICE_STATUS.unavailable, new Uint8Array(0));
    return reply(SERVICE_STATUS.ok, guard(() => handler(request.query, session)));
  }
}
