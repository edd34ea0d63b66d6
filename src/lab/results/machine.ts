// The machine a run was measured on, as every results file records it.

export interface Machine {
  cpus: number;
  cpu_model: string;
  mem: number;
  kernel: string;
  /** Filesystem type of the data directory, e.g. ext4. */
  fs: string;
  node: string;
  /** The project's git commit, with "+dirty" if the tree had uncommitted changes. */
  commit: string;
}
