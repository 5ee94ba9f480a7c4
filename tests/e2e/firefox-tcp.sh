#!/usr/bin/env bash
# tests/e2e/firefox.sh with every UDP packet dropped by nftables in its
# namespace: Firefox and Chromium join the room over ICE-TCP (RFC 6544) to the
# daemon's TCP-passive candidates, each sees the other in the composite and
# hears the other, and both selected candidate pairs are TCP. Needs what
# firefox.sh needs, and nft (nftables).
E2E_BLOCK_UDP=1 exec "$(dirname "$0")/firefox.sh" "$@"
