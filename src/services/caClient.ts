/**
 * The LAG's side of the LAG–CA link over the network: forwards what its desks sealed on the
 * LAG–CA channel to a CA service and returns the CA's answer. Refusals come back as the
 * `ProtocolError` the CA raised (see `serviceClient.ts`).
 */
import { hexToBytes } from "../crypto/index.js";
import { ProtocolError } from "../protocol/index.js";
import { ServiceClient, type ServiceClientOptions } from "./serviceClient.js";

/** A CA service as a LAG reaches it. */
export class CaClient extends ServiceClient {
  constructor(baseUrl: string, options: ServiceClientOptions = {}) {
    super(baseUrl, "the CA", options);
  }

  /** Sends a sealed `StatusBatch`; resolves with the sealed `StatusResult` for `LagStatusDesk.onResult`. */
  forwardStatusBatch(batch: Uint8Array): Promise<Uint8Array> {
    return this.post("/v1/status/batch", batch);
  }

  /** Sends a sealed `DischargeForward`; resolves with whether the CA applied the answer. */
  async forwardDischargeAnswer(forward: Uint8Array): Promise<{ readonly requestId: Uint8Array; readonly applied: boolean }> {
    const body = await this.post("/v1/discharge/forward", forward);
    try {
      const parsed = JSON.parse(new TextDecoder().decode(body)) as { requestId?: unknown; applied?: unknown };
      if (typeof parsed.requestId === "string" && typeof parsed.applied === "boolean") return { requestId: hexToBytes(parsed.requestId), applied: parsed.applied };
    } catch {
      // fall through
    }
    throw new ProtocolError("MALFORMED", "the CA's receipt is not { requestId, applied }");
  }
}
