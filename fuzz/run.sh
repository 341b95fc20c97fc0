#!/usr/bin/env bash
# fuzz/run.sh TARGET SECONDS: publishes the fuzz harness, instruments the Virtwire libraries with SharpFuzz,
# runs AFL++ on TARGET for SECONDS and prints the executions and crashes. See fuzz/README.md.
#   FUZZ_RESUME=1            continue the previous session's queue instead of starting from fuzz/corpus/TARGET
#   FUZZ_OUT_OF_PROCESS=1    SharpFuzz's out-of-process server (survives stack overflows and hangs, slower)
#   FUZZ_TIMEOUT_MS=N        afl-fuzz -t (default 10000: .NET pauses for GC and JIT; real hangs are far longer)
#   FUZZ_WORK=DIR            where builds and findings go (default artifacts/fuzz)
set -euo pipefail

if [[ $# -lt 2 ]]; then
  echo "usage: fuzz/run.sh TARGET SECONDS   (targets: frame header body typed-params domain-xml)" >&2
  exit 2
fi
target=$1
seconds=$2
root=$(cd "$(dirname "$0")/.." && pwd)
work=${FUZZ_WORK:-$root/artifacts/fuzz}/$target
bin=$work/bin
findings=$work/findings
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install afl++" >&2; exit 2; }
sharpfuzz=$(command -v sharpfuzz || echo "$HOME/.dotnet/tools/sharpfuzz")
[[ -x $sharpfuzz ]] || { echo "sharpfuzz not found: dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0" >&2; exit 2; }
[[ -d $root/fuzz/corpus/$target ]] || { echo "no corpus for '$target' in fuzz/corpus" >&2; exit 2; }

# A fresh copy per target, so two targets can run side by side and nothing is instrumented twice.
rm -rf "$bin"
dotnet publish "$root/fuzz/Virtwire.Fuzz" -c Release -o "$bin" --nologo -v quiet
for assembly in Virtwire.Xdr Virtwire.Rpc Virtwire.Protocol Virtwire.Drivers.Abstractions Virtwire.Drivers.Test Virtwire.Drivers.Qemu; do
  "$sharpfuzz" "$bin/$assembly.dll" >/dev/null
done

input=$root/fuzz/corpus/$target
if [[ ${FUZZ_RESUME:-0} == 1 && -d $findings/default/queue ]]; then
  input=-
else
  rm -rf "$findings"
fi
mkdir -p "$findings"
dict=()
[[ -f $root/fuzz/dict/$target.dict ]] && dict=(-x "$root/fuzz/dict/$target.dict")
mode=--afl
[[ ${FUZZ_OUT_OF_PROCESS:-0} == 1 ]] && mode="--afl --out-of-process"

# dotnet is not an instrumented binary (the instrumentation is in the IL), core_pattern and the CPU
# governor are the host's business, and a log beats a curses screen in CI.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_FAST_CAL=1
echo "fuzzing $target for $seconds s: findings in $findings, log in $work/afl.log"
fuzz() {
  # shellcheck disable=SC2086
  afl-fuzz -i "$input" -o "$findings" -V "$seconds" -t "${FUZZ_TIMEOUT_MS:-10000}" -m none "${dict[@]}" \
    -- dotnet "$bin/Virtwire.Fuzz.dll" "$target" $mode >"$work/afl.log" 2>&1
}
failed() {
  echo "afl-fuzz failed; the end of its log:" >&2
  tail -n 30 "$work/afl.log" >&2
  exit 1
}
if ! fuzz; then
  # Seen once in a dozen starts on a loaded machine: the dry run read an empty map. A second start worked.
  grep -q "No instrumentation detected" "$work/afl.log" || failed
  echo "afl-fuzz saw no instrumentation in its dry run; starting it again"
  rm -rf "$findings" && mkdir -p "$findings"
  input=$root/fuzz/corpus/$target
  fuzz || failed
fi

stats=$findings/default/fuzzer_stats
stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
crashes=$(stat saved_crashes)
echo "target:      $target"
echo "run time:    $(stat run_time) s"
echo "executions:  $(stat execs_done) ($(stat execs_per_sec)/s)"
echo "corpus:      $(stat corpus_count) inputs, $(stat bitmap_cvg) of the map covered"
echo "crashes:     $crashes"
echo "hangs:       $(stat saved_hangs)"
if [[ ${crashes:-0} != 0 ]]; then
  # Replayed on the uninstrumented build, which prints each input's exception.
  dotnet build "$root/fuzz/Virtwire.Fuzz" -c Release --nologo -v quiet >/dev/null
  "$root/fuzz/Virtwire.Fuzz/bin/Release/net10.0/Virtwire.Fuzz" "$target" --run "$findings/default/crashes" || true
  exit 1
fi
