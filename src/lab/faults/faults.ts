// The faults the lab injects, Jepsen's "nemesis": each says what it does, which stores it
// can be done to (from what each store declares), and whether this machine can do it.
import type { StoreModule } from "../../stores/_types.ts";
import { CRASH_FAULTS, type Fault } from "../results/durability.ts";
import { powerCutUnavailable } from "./powercut/mount.ts";

export { CRASH_FAULTS, DISK_FAULTS, FAULTS, type Fault } from "../results/durability.ts";

interface FaultSpec {
  /** Why the fault cannot be done to this store, or undefined if it can. */
  skips(store: StoreModule): string | undefined;
  /** Why this machine cannot do the fault, or undefined if it can. */
  unavailable(): string | undefined;
}

const keepsNoData = (store: StoreModule) =>
  store.files.length === 0 && !store.service ? "it keeps no data" : undefined;

// The power-cut filesystem sits under DATA_DIR; a service's server runs as its own user,
// whom that FUSE mount does not let in. Every fault but SIGKILL is done by that filesystem.
const ON_LAZYFS: FaultSpec = {
  skips: (store) =>
    keepsNoData(store) ??
    (store.service ? "its service keeps the data outside the power-cut filesystem" : undefined),
  unavailable: powerCutUnavailable,
};

const SPECS: Record<Fault, FaultSpec> = {
  // SIGKILL of the app server: no flush, no goodbye. A store with a service keeps its data
  // there, so this tests only that the app acknowledged nothing the service had not taken.
  sigkill: { skips: keepsNoData, unavailable: () => undefined },
  powercut: ON_LAZYFS,
  // The disk fills up mid-load, then space comes back; the trial ends in a SIGKILL.
  enospc: ON_LAZYFS,
  // One fsync fails with EIO and loses its data; the trial ends in a power cut.
  eio: ON_LAZYFS,
  // A power cut that keeps part of what was never synced.
  torn: ON_LAZYFS,
};

export function faultSkips(fault: Fault, store: StoreModule): string | undefined {
  return SPECS[fault].skips(store);
}

export function faultUnavailable(fault: Fault): string | undefined {
  return SPECS[fault].unavailable();
}

/**
 * The faults a tool may run: `requested` as given (an error if this machine cannot do one),
 * or, when none was asked for, every crash fault this machine can do (the disk faults are
 * asked for by name).
 */
export function availableFaults(requested: Fault[] | undefined, log: (m: string) => void): Fault[] {
  for (const f of requested ?? []) {
    const why = faultUnavailable(f);
    if (why)
      throw new Error(
        `${f} cannot run here: ${why}. Leave it out of --faults, or install what is missing.`,
      );
  }
  if (requested) return requested;
  return CRASH_FAULTS.filter((f) => {
    const why = faultUnavailable(f);
    if (why) log(`${f} skipped: ${why}`);
    return !why;
  });
}
