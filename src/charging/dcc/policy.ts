/**
 * The DCC data store's access policy: least privilege by role and data kind.
 *   - an aggregator sees only the sessions of its own vehicles;
 *   - a supplier sees its customers' sessions and the CDRs it is host or home supplier of;
 *   - a DNO sees only aggregated feeder data;
 *   - a user sees only its own sessions and CDRs.
 */

export const DccRole = { Aggregator: 0, Supplier: 1, Dno: 2, User: 3 } as const;
export type DccRoleName = keyof typeof DccRole;
export const DccKind = { Session: 0, Cdr: 1, Feeder: 2 } as const;
export type DccKindName = keyof typeof DccKind;

export interface Actor {
  role: DccRoleName;
  /** An account address for organisations, a user id for users. */
  id: string;
}

export interface SessionFacts {
  aggregator: string;
  supplier: string;
  user: string;
  feeder: string;
}

export interface CdrFacts {
  hostSupplier: string;
  homeSupplier: string;
  user: string;
}

export type Subject = { kind: "Session"; facts: SessionFacts } | { kind: "Cdr"; facts: CdrFacts } | { kind: "Feeder"; feeder: string; operator: string };

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Whether `actor` may read `subject`. */
export function mayRead(actor: Actor, subject: Subject): boolean {
  switch (subject.kind) {
    case "Session":
      if (actor.role === "Aggregator") return same(actor.id, subject.facts.aggregator);
      if (actor.role === "Supplier") return same(actor.id, subject.facts.supplier);
      if (actor.role === "User") return same(actor.id, subject.facts.user);
      return false;
    case "Cdr":
      if (actor.role === "Supplier") return same(actor.id, subject.facts.hostSupplier) || same(actor.id, subject.facts.homeSupplier);
      if (actor.role === "User") return same(actor.id, subject.facts.user);
      return false;
    case "Feeder":
      return actor.role === "Dno" && same(actor.id, subject.operator);
  }
}
