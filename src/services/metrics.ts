/**
 * The services' metrics in the Prometheus text format (`prom-client`), one registry per service
 * instance so several can run in one process (tests, the benchmark).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The metrics of a LAG service. */
export interface LagMetrics {
  readonly registry: Registry;
  /** Authentication responses by outcome ("accepted" or the refusal code). */
  readonly authResponses: Counter<"outcome">;
  readonly challenges: Counter<"outcome">;
  /** Requests refused before any protocol work (rate limit, concurrency cap, size). */
  readonly shed: Counter<"reason">;
  readonly authSeconds: Histogram;
  readonly inFlight: Gauge;
}

/** A fresh registry with the LAG's metrics and the process defaults (memory, event-loop lag). */
export function lagMetrics(gauges: { inFlight: () => number; pending: () => number; sessions: () => number }): LagMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const authResponses = new Counter({ name: "v2g_lag_auth_responses_total", help: "Authentication responses by outcome", labelNames: ["outcome"], registers: [registry] });
  const challenges = new Counter({ name: "v2g_lag_challenges_total", help: "Challenges by outcome", labelNames: ["outcome"], registers: [registry] });
  const shed = new Counter({ name: "v2g_lag_requests_shed_total", help: "Requests refused before protocol work", labelNames: ["reason"], registers: [registry] });
  const authSeconds = new Histogram({
    name: "v2g_lag_auth_seconds",
    help: "Time from receiving a response to sending its confirmation",
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2],
    registers: [registry],
  });
  const inFlight = new Gauge({ name: "v2g_lag_verifications_in_flight", help: "Verifications running or queued", registers: [registry], collect() { this.set(gauges.inFlight()); } });
  new Gauge({ name: "v2g_lag_pending_challenges", help: "Challenges held", registers: [registry], collect() { this.set(gauges.pending()); } });
  new Gauge({ name: "v2g_lag_sessions", help: "Established sessions held", registers: [registry], collect() { this.set(gauges.sessions()); } });
  return { registry, authResponses, challenges, shed, authSeconds, inFlight };
}
