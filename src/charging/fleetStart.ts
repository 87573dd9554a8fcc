/**
 * A starting basis for the fleet LP's primal simplex. From the logical basis (every column at its
 * lower bound) the primal simplex spends most of its iterations raising charge and discharge
 * columns to the charger's power one by one. Here the vehicles, taken in turn, start at full
 * power where a cost-driven schedule would put them:
 * - first every vehicle charging in its cheapest plugged-in slots (the emptiest feeder first
 *   among equal prices), as many as its departure target needs (to the nearest slot), as far as
 *   the feeder's import limit and, for a renewable share, the forecast leave room;
 * - then each V2G vehicle discharging in its best-paid slots while the export pays more than
 *   recharging in the next slot its charging would take (export price − degradation > import
 *   price / (ηc·ηd)), within the energy it has above its floor on arrival and the feeder's export
 *   room, and charging again for what it sold.
 * Each checkpoint's state-of-charge column is basic in place of the slack of the segment row it
 * closes (a bidiagonal block with −1 on its diagonal: the basis is nonsingular). It is only a
 * start: the simplex proves optimality (or infeasibility) from it, the same optimum as from the
 * logical basis.
 */
import { slotHours, type FleetProblem } from "./fleet.js";
import type { FleetModel } from "./fleetModel.js";
import { BasisStatus, type LpBasis } from "./lp.js";

export function fleetStart(p: FleetProblem, model: FleetModel): LpBasis {
  const { lp } = model;
  const h = slotHours(p);
  const colStatus = new Int32Array(lp.numCols).fill(BasisStatus.lower);
  const rowStatus = new Int32Array(lp.numRows).fill(BasisStatus.basic);
  const importRoom = model.feederRows.map((row) => lp.rowUpper[row]!);
  const exportRoom = model.feederRows.map((row) => -lp.rowLower[row]!);
  const renewableRoom = model.renewableRows.map((row) => lp.rowUpper[row]!);
  // Pass 1: every vehicle charges for its target; pass 2: V2G vehicles sell what the remaining
  // room lets them buy back for less.
  const plans = p.vehicles.map((v, i) => vehicleStart(p, model, i, h, colStatus, { importRoom, exportRoom, renewableRoom }));
  for (const plan of plans) plan.discharge();
  model.columns.forEach((cols) => {
    for (let k = 1; k < cols.segmentStart.length; k++) {
      colStatus[cols.soc[cols.segmentStart[k]! - 1]!] = BasisStatus.basic;
      rowStatus[cols.segmentRows[k - 1]!] = BasisStatus.lower;
    }
  });
  return { colStatus, rowStatus };
}

/** What the vehicles taken so far leave per slot: feeder import and export, renewable forecast. */
interface Room {
  importRoom: number[];
  exportRoom: number[];
  renewableRoom: number[];
}

/** One vehicle's greedy start: charges at once; `discharge` (pass 2) sells and charges again. */
function vehicleStart(
  p: FleetProblem,
  model: FleetModel,
  i: number,
  h: number,
  colStatus: Int32Array,
  { importRoom, exportRoom, renewableRoom }: Room,
): { discharge: () => void } {
  const { lp } = model;
  const v = p.vehicles[i]!;
  const cols = model.columns[i]!;
  const chargeKw = (t: number): number => lp.colUpper[cols.charge[t]!]!;
  const slots: number[] = [];
  for (let t = v.arrivalSlot; t < v.departureSlot; t++) if (chargeKw(t) > 0) slots.push(t);
  slots.sort((a, b) => p.importPrice[a]! - p.importPrice[b]! || importRoom[b]! - importRoom[a]! || a - b);
  const discharging = new Set<number>();
  // The next slot the charging would take (from `from` in price order), or -1.
  const fits = (t: number): boolean =>
    !discharging.has(t) && importRoom[t]! >= chargeKw(t) && (v.renewableShare === 0 || renewableRoom[t]! >= v.renewableShare * chargeKw(t));
  const usable = (from: number): number => {
    for (let k = from; k < slots.length; k++) if (fits(slots[k]!)) return k;
    return -1;
  };
  let need = v.targetKwh - v.initialKwh;
  let next = 0;
  const charge = (): void => {
    const half = (v.chargeEfficiency * h * v.maxChargeKw) / 2;
    while (need > half) {
      const k = usable(next);
      if (k < 0) return;
      const t = slots[k]!;
      colStatus[cols.charge[t]!] = BasisStatus.upper;
      importRoom[t]! -= chargeKw(t);
      if (v.renewableShare > 0) renewableRoom[t]! -= v.renewableShare * chargeKw(t);
      need -= v.chargeEfficiency * h * chargeKw(t);
      next = k + 1;
    }
  };
  charge();
  const discharge = (): void => {
    if (v.maxDischargeKw <= 0) return;
    const loss = (h * v.maxDischargeKw) / v.dischargeEfficiency;
    let available = v.initialKwh - v.minKwh;
    const byExport: number[] = [];
    for (let t = v.arrivalSlot; t < v.departureSlot; t++) byExport.push(t);
    byExport.sort((a, b) => p.exportPrice[b]! - p.exportPrice[a]! || exportRoom[b]! - exportRoom[a]! || a - b);
    for (const t of byExport) {
      if (available < loss) return;
      if (colStatus[cols.charge[t]!] === BasisStatus.upper || exportRoom[t]! < v.maxDischargeKw) continue;
      discharging.add(t);
      const k = usable(next);
      const recharge = k < 0 ? Infinity : p.importPrice[slots[k]!]! / (v.chargeEfficiency * v.dischargeEfficiency);
      if (p.exportPrice[t]! - p.degradationPerKwh <= recharge) {
        discharging.delete(t);
        return;
      }
      colStatus[cols.discharge[t]!] = BasisStatus.upper;
      importRoom[t]! += v.maxDischargeKw;
      exportRoom[t]! -= v.maxDischargeKw;
      available -= loss;
      need += loss;
      charge();
    }
  };
  return { discharge };
}
