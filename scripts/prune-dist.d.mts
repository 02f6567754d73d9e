/** The files under `root`/dist whose source `root`/<same path>.ts is gone, removed; their paths. */
export function pruneDist(root: string): string[];
