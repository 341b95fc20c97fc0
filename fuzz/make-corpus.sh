#!/usr/bin/env bash
# Rebuilds fuzz/corpus/<target>/ from the real captures in tests/data/captures (and the few hand-written
# seeds in CorpusBuilder.cs). The smoke test fails when the checked-in corpus is stale.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dotnet run --project "$root/fuzz/Virtwire.Fuzz" -c Release -- corpus --out "$root/fuzz/corpus"
