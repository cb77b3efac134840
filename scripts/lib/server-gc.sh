# shellcheck shell=bash
# The .NET runtime's settings for a Flexprice server process (scripts/run, scripts/bench, bench/log-growth): the
# garbage collector's, and the thread pool's. Source this file, then call server_runtime_env in the subshell that starts
# the server. Variables already set win.
#
# A fixed gen-0 budget of 128 MB per heap (DOTNET_GCgen0size) with DATAS off (DOTNET_GCDynamicAdaptationMode=0) in
# place of .NET's default adaptive budget: measured on the 2-core bench machine (bench/RESULTS.md, "GC settings"),
# a quarter as many collections and under half the total pause time, single-event p99 at half rate 44.5 → 24.7 ms
# (median of 3 runs each), for ~250 MB more resident memory. A collection's pause hardly depends on the budget
# (it is the in-flight requests and the roots, not the garbage, that cost), so fewer collections mean fewer
# requests caught by one. DOTNET_GCgen0size=0 restores the default budget.
#
# Idle pool threads block at once instead of spinning first (DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0): on the
# 2-core bench machine, where PostgreSQL and the clients share the cores, the spinning was 10–25 % of the server's
# CPU and bought no latency (bench/RESULTS.md, "Thread pool spinning"). Machines with cores to spare may prefer
# .NET's default (70).
server_runtime_env() {
  export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x8000000}"
  export DOTNET_GCDynamicAdaptationMode="${DOTNET_GCDynamicAdaptationMode:-0}"
  export DOTNET_ThreadPool_UnfairSemaphoreSpinLimit="${DOTNET_ThreadPool_UnfairSemaphoreSpinLimit:-0}"
}
