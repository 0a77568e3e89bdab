#!/usr/bin/env bash
# test.sh : installs what the tests need and runs them all. As root this includes the integration
# tests that build hosts in network namespaces with real TAPs and QUIC; without root only the unit tests run.
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
cd "$HERE"
if [[ $(id -u) -eq 0 ]]; then
  scripts/deps.sh
  groups=""
else
  echo "test: not root, so only the unit tests run (the tunnel tests need network namespaces)" >&2
  groups="!netns"
fi
exec mvn -B -Dgroups="$groups" verify "$@"
