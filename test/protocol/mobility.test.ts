/**
 * Mobility: the lighter pre-shared-key authentication and advanced inquiry services in the home
 * network; full anonymous authentication and basic power services only in a visiting network.
 */
import { expect } from "chai";
import { bytesToHex } from "../../src/crypto/index.js";
import {
  LagHomeAuth,
  LagServices,
  ProtocolError,
  SERVICE,
  VehicleHomeAuth,
  VehicleServices,
  decodeMessage,
  type HomeSubscriber,
  type ServiceHandler,
} from "../../src/protocol/index.js";
import { expectCode, fastBackend, text, World } from "./helpers/world.js";

const handlers: Record<number, ServiceHandler> = {
  [SERVICE.power]: (query) => Uint8Array.of(1, ...query),
  [SERVICE.history]: (_query, session) => text(`history of ${session.attribute}`),
  [SERVICE.tariffForecast]: () => text("off-peak 01:00-05:00"),
};

async function home() {
  const world = new World(await fastBackend());
  const lagId = text("LAG-Home-Alice");
  const subscribers: HomeSubscriber[] = [0, 1, 2].map((i) => ({ psk: world.rng(32), label: `household vehicle ${i}`, role: "load" }));
  const lag = new LagHomeAuth(world.ctx(), lagId, subscribers);
  const vehicle = (i: number, psk = subscribers[i]!.psk) => new VehicleHomeAuth(world.ctx(), { lagId, psk });
  return { world, lagId, subscribers, lag, vehicle, services: new LagServices(world.ctx(), handlers) };
}

describe("Protocol: mobility (home and visiting networks)", function () {
  it("should authenticate at home with the pre-shared key and answer advanced inquiries", async function () {
    const h = await home();
    const run = h.vehicle(1);
    const { confirm, session } = h.lag.onResponse(run.onChallenge(h.lag.challenge()));
    const mine = run.onConfirm(confirm);
    expect(session.mode).to.equal("home");
    expect(session.attribute).to.equal("household vehicle 1");
    expect(mine.digest).to.equal(session.digest);
    const client = new VehicleServices(h.world.ctx(), mine);
    const history = client.onReply(h.services.onRequest(session, client.request(SERVICE.history)));
    expect(new TextDecoder().decode(history)).to.equal("history of household vehicle 1");
    expect(client.onReply(h.services.onRequest(session, client.request(SERVICE.power, Uint8Array.of(22))))).to.deep.equal(Uint8Array.of(1, 22));
    expectCode(() => client.onReply(h.services.onRequest(session, client.request(SERVICE.account))), "UNKNOWN_REQUEST");
  });

  it("should refuse advanced services in a visiting network with SERVICE_REFUSED, on both sides", async function () {
    const world = new World(await fastBackend());
    const { vehicle, lag } = world.authenticate(0, world.lag("LAG-Visited-9"));
    const client = new VehicleServices(world.ctx(), vehicle);
    const services = new LagServices(world.ctx(), handlers);
    expect(client.onReply(services.onRequest(lag.session, client.request(SERVICE.power, Uint8Array.of(11))))).to.deep.equal(Uint8Array.of(1, 11));
    // The vehicle does not even send it…
    const refused = expectCode(() => client.request(SERVICE.history), "SERVICE_REFUSED");
    expect(refused.details).to.deep.equal({ service: SERVICE.history, mode: "visiting" });
    // …and a LAG receiving one anyway refuses it and answers with a refusal.
    const forced = vehicle.channel.seal("ServiceRequest", { service: SERVICE.tariffForecast, query: new Uint8Array(0) }, world.clock.now);
    const error = expectCode(() => services.onRequest(lag.session, forced), "SERVICE_REFUSED");
    expectCode(() => client.onReply(error.details.reply as Uint8Array), "SERVICE_REFUSED");
    expect(error).to.be.instanceOf(ProtocolError);
  });

  it("should reject a wrong key, a foreign LAG, replays and a wrong LAG operator at home", async function () {
    const h = await home();
    const intruder = h.vehicle(0, new Uint8Array(32).fill(9));
    expectCode(() => h.lag.onResponse(intruder.onChallenge(h.lag.challenge())), "BAD_OPERATOR");
    const foreign = new LagHomeAuth(h.world.ctx(), text("LAG-Neighbour"), h.subscribers);
    expectCode(() => h.vehicle(0).onChallenge(foreign.challenge()), "WRONG_SCOPE");
    const challenge = h.lag.challenge();
    const run = h.vehicle(2);
    const response = run.onChallenge(challenge);
    const { confirm } = h.lag.onResponse(response);
    expectCode(() => h.lag.onResponse(response), "REPLAYED");
    const bad = confirm.slice();
    bad[bad.length - 1]! ^= 1;
    expectCode(() => run.onConfirm(bad), "BAD_OPERATOR");
  });

  it("should send no stable identifier at home: hints and ephemeral keys are fresh per session", async function () {
    const h = await home();
    const views = [0, 1].map(() => decodeMessage("HomeResponse", h.vehicle(0).onChallenge(h.lag.challenge())));
    expect(bytesToHex(views[0]!.hint)).to.not.equal(bytesToHex(views[1]!.hint));
    expect(bytesToHex(views[0]!.ephemeralKey)).to.not.equal(bytesToHex(views[1]!.ephemeralKey));
    expect(bytesToHex(views[0]!.sessionId)).to.not.equal(bytesToHex(views[1]!.sessionId));
  });
});
