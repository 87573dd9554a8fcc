/**
 * A starting basis for the fleet LP's primal simplex. From the logical basis (every column at its
 * lower bound) the primal simplex spends most of its iterations raising charge columns to the
 * charger's power one by one. Here each vehicle instead starts charging at full power in its
 * cheapest plugged-in slots, as many as its departure target needs (to the nearest slot) and as
 * far as the feeder's import limit leaves room (the vehicles taken in turn); discharge columns
 * start at 0. Each checkpoint's state-of-charge column is basic in place of the slack of the
 * segment row it closes (a bidiagonal block with −1 on its diagonal: the basis is nonsingular).
 * It is only a start: the simplex proves optimality (or infeasibility) from it, and the
 * schedule is the same optimum as from the logical basis.
 */
import { slotHours, type FleetProblem } from "./fleet.js";
import type { FleetModel } from "./fleetModel.js";
import { BasisStatus, type LpBasis } from "./lp.js";

export function fleetStart(p: FleetProblem, model: FleetModel): LpBasis {
  const { lp } = model;
  const h = slotHours(p);
  const colStatus = new Int32Array(lp.numCols).fill(BasisStatus.lower);
  const rowStatus = new Int32Array(lp.numRows).fill(BasisStatus.basic);
  const room = model.feederRows.map((row) => lp.rowUpper[row]!);
  p.vehicles.forEach((v, i) => {
    const cols = model.columns[i]!;
    const slots: number[] = [];
    for (let t = v.arrivalSlot; t < v.departureSlot; t++) if (lp.colUpper[cols.charge[t]!]! > 0) slots.push(t);
    slots.sort((a, b) => p.importPrice[a]! - p.importPrice[b]! || a - b);
    const perSlot = v.chargeEfficiency * h * v.maxChargeKw;
    let need = v.targetKwh - v.initialKwh;
    for (const t of slots) {
      if (need <= perSlot / 2) break;
      const kw = lp.colUpper[cols.charge[t]!]!;
      if (room[t]! < kw) continue;
      colStatus[cols.charge[t]!] = BasisStatus.upper;
      room[t]! -= kw;
      need -= v.chargeEfficiency * h * kw;
    }
    for (let k = 1; k < cols.segmentStart.length; k++) {
      colStatus[cols.soc[cols.segmentStart[k]! - 1]!] = BasisStatus.basic;
      rowStatus[cols.segmentRows[k - 1]!] = BasisStatus.lower;
    }
  });
  return { colStatus, rowStatus };
}
