# shellcheck shell=bash
# The garbage collector's settings for a Flexprice server process (scripts/run, scripts/bench, bench/log-growth).
# Source this file, then call server_gc_env in the subshell that starts the server.
#
# A fixed gen-0 budget of 128 MB per heap (DOTNET_GCgen0size) with DATAS off (DOTNET_GCDynamicAdaptationMode=0) in
# place of .NET's default adaptive budget: measured on the 2-core bench machine (bench/RESULTS.md, "GC settings"),
# a quarter as many collections and under half the total pause time, single-event p99 at half rate 44.5 → 24.7 ms
# (median of 3 runs each), for ~250 MB more resident memory. A collection's pause hardly depends on the budget
# (it is the in-flight requests and the roots, not the garbage, that cost), so fewer collections mean fewer
# requests caught by one. Variables already set win (DOTNET_GCgen0size=0 restores the default budget).
server_gc_env() {
  export DOTNET_GCgen0size="${DOTNET_GCgen0size:-0x8000000}"
  export DOTNET_GCDynamicAdaptationMode="${DOTNET_GCDynamicAdaptationMode:-0}"
}
