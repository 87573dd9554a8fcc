/**
 * Signed tariffs and price signals at the aggregator. Only prices a supplier signed with a
 * registered key are used; a tampered or forged price signal (e.g. one making every slot cheap
 * at once, so that every vehicle charges together) is refused; signals apply in sequence and
 * within their validity window. Prices are micro-units per kWh.
 */
import type { TypedDataDomain } from "ethers";
import { verifyArtefact } from "./artefacts.js";
import type { PriceSignal, SignedArtefact, Tariff } from "./artefactTypes.js";
import { ChargingError } from "./errors.js";
import type { KeyDirectory } from "./keyDirectory.js";

interface Book {
  tariff: SignedArtefact<"Tariff">;
  importPrice: bigint[];
  exportPrice: bigint[];
  lastSeq: bigint;
  /** Every signed artefact applied, in order: the evidence of the prices used. */
  evidence: SignedArtefact[];
}

export interface SlotPrices {
  tariffId: string;
  start: bigint;
  slotSeconds: number;
  importPrice: readonly bigint[];
  exportPrice: readonly bigint[];
  peak: readonly boolean[];
}

export class PriceBook {
  private readonly books = new Map<string, Book>();

  constructor(
    private readonly directory: KeyDirectory,
    private readonly domain: TypedDataDomain,
  ) {}

  async acceptTariff(signed: SignedArtefact<"Tariff">, now: bigint): Promise<void> {
    if (signed.type !== "Tariff") throw new ChargingError("BAD_INPUT", "not a tariff", { type: signed.type });
    const t: Tariff = signed.value;
    if (t.supplier.toLowerCase() !== signed.party.toLowerCase()) throw new ChargingError("BAD_SIGNATURE", "tariff names another supplier than its signer's party");
    await verifyArtefact(this.directory, this.domain, signed, "SUPPLIER", now);
    const n = t.importPrice.length;
    if (n === 0 || t.exportPrice.length !== n || t.peakMask.length !== n || t.slotSeconds < 60) {
      throw new ChargingError("BAD_INPUT", "tariff must give import, export price and peak flag for every slot", { slots: n });
    }
    if (now >= t.validUntil) throw new ChargingError("EXPIRED", "tariff expired", { now, validUntil: t.validUntil });
    const key = this.key(t.supplier, t.tariffId);
    if (this.books.has(key)) throw new ChargingError("REFUSED", "tariff already known", { tariffId: t.tariffId });
    this.books.set(key, { tariff: signed, importPrice: [...t.importPrice], exportPrice: [...t.exportPrice], lastSeq: 0n, evidence: [signed] });
  }

  async acceptSignal(signed: SignedArtefact<"PriceSignal">, now: bigint): Promise<void> {
    if (signed.type !== "PriceSignal") throw new ChargingError("BAD_INPUT", "not a price signal", { type: signed.type });
    const s: PriceSignal = signed.value;
    if (s.supplier.toLowerCase() !== signed.party.toLowerCase()) throw new ChargingError("BAD_SIGNATURE", "price signal names another supplier than its signer's party");
    await verifyArtefact(this.directory, this.domain, signed, "SUPPLIER", now);
    const book = this.books.get(this.key(s.supplier, s.tariffId));
    if (book === undefined) throw new ChargingError("REFUSED", "price signal for an unknown tariff", { tariffId: s.tariffId });
    if (now < s.issuedAt || now >= s.validUntil) throw new ChargingError("EXPIRED", "price signal outside its validity window", { now });
    if (s.seq <= book.lastSeq) throw new ChargingError("REFUSED", "price signal replayed or out of sequence", { seq: s.seq, last: book.lastSeq });
    const n = s.importPrice.length;
    if (n === 0 || s.exportPrice.length !== n || s.firstSlot + n > book.importPrice.length) {
      throw new ChargingError("BAD_INPUT", "price signal slots outside the tariff", { firstSlot: s.firstSlot, slots: n });
    }
    for (let i = 0; i < n; i++) {
      book.importPrice[s.firstSlot + i] = s.importPrice[i]!;
      book.exportPrice[s.firstSlot + i] = s.exportPrice[i]!;
    }
    book.lastSeq = s.seq;
    book.evidence.push(signed);
  }

  /** The prices in force, all from signed artefacts. */
  prices(supplier: string, tariffId: string): SlotPrices {
    const book = this.books.get(this.key(supplier, tariffId));
    if (book === undefined) throw new ChargingError("REFUSED", "no signed tariff: nothing to schedule on", { supplier, tariffId });
    const t = book.tariff.value;
    return { tariffId, start: t.start, slotSeconds: t.slotSeconds, importPrice: book.importPrice, exportPrice: book.exportPrice, peak: t.peakMask };
  }

  evidence(supplier: string, tariffId: string): readonly SignedArtefact[] {
    return this.books.get(this.key(supplier, tariffId))?.evidence ?? [];
  }

  private key(supplier: string, tariffId: string): string {
    return `${supplier.toLowerCase()}:${tariffId.toLowerCase()}`;
  }
}

/** Micro-units per kWh → currency units per kWh (the scheduler's unit). */
export const toUnitsPerKwh = (micro: bigint): number => Number(micro) / 1e6;
