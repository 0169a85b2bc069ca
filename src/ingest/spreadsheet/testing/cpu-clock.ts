/**
 * Milliseconds of CPU this process has spent (user + system, GC threads included). The guard-rail
 * specs that check "this stays linear, not quadratic" measure their own CPU time rather than the
 * wall clock, with bounds a few times the usual cost, so a machine busy with other test files (or
 * a benchmark) does not make them fail while a quadratic blow-up still does.
 */
export function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
