/**
 * Authorisation at the charger: the EVSE's owner authorises a vehicle the first time it uses
 * that EVSE (a signed authorisation, kept as evidence); a vehicle the owner never authorised is
 * refused. The owner's key is the one configured at installation.
 */
import { getAddress, type TypedDataDomain } from "ethers";
import { recoverSigner } from "../evidence/sign.js";
import { artefactDigest } from "./artefacts.js";
import type { SignedArtefact } from "./artefactTypes.js";
import { ChargingError } from "./errors.js";

export class EvseAccess {
  private readonly authorised = new Map<string, SignedArtefact<"EvseAuthorisation">>();

  constructor(
    readonly evseId: string,
    readonly owner: string,
    private readonly domain: TypedDataDomain,
  ) {}

  /** Admits `vehicle` at `now`: with its stored authorisation, or with a new one signed by the owner. */
  admit(vehicle: string, now: bigint, authorisation?: SignedArtefact<"EvseAuthorisation">): SignedArtefact<"EvseAuthorisation"> {
    const key = getAddress(vehicle);
    const stored = this.authorised.get(key);
    if (stored !== undefined && authorisation === undefined) {
      this.checkWindow(stored, now);
      return stored;
    }
    if (authorisation === undefined) throw new ChargingError("REFUSED", "vehicle not authorised by the EVSE's owner", { vehicle: key, evseId: this.evseId });
    const a = authorisation.value;
    const digest = artefactDigest(this.domain, "EvseAuthorisation", a);
    let signer: string;
    try {
      signer = recoverSigner(digest, authorisation.signature);
    } catch (cause) {
      throw new ChargingError("BAD_SIGNATURE", "authorisation signature is malformed", {}, cause);
    }
    if (signer !== getAddress(this.owner) || getAddress(a.owner) !== getAddress(this.owner)) {
      throw new ChargingError("BAD_SIGNATURE", "authorisation is not signed by the EVSE's owner", { signer });
    }
    if (a.evseId !== this.evseId || getAddress(a.vehicle) !== key) throw new ChargingError("REFUSED", "authorisation is for another EVSE or vehicle");
    this.checkWindow(authorisation, now);
    this.authorised.set(key, authorisation);
    return authorisation;
  }

  /** The authorisations kept as evidence. */
  evidence(): SignedArtefact<"EvseAuthorisation">[] {
    return [...this.authorised.values()];
  }

  private checkWindow(a: SignedArtefact<"EvseAuthorisation">, now: bigint): void {
    if (now < a.value.validFrom || now >= a.value.validUntil) throw new ChargingError("EXPIRED", "authorisation outside its validity window", { now });
  }
}
