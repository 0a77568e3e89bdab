#!/usr/bin/env bash
# throwaway-pki.sh DIR [SERVER_NAME...] : a short-lived EC CA, a server certificate for the names given
# (default rqst.example.com) and a client certificate "alice", laid out where rqst looks by default:
#   DIR/server/{ca.crt,server.key,server.crt}   DIR/client/{ca.crt,client.key,client.crt}
# For demos and benchmarks only (2-day validity, CA key left in DIR).
set -euo pipefail
dir=$1; shift
names=("$@"); ((${#names[@]})) || names=(rqst.example.com)
san=$(printf 'DNS:%s,' "${names[@]}"); san=${san%,}
mkdir -p "$dir/server" "$dir/client"
cd "$dir"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 2 -subj "/CN=rqst throwaway CA" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new "${ec[@]}" -keyout server/server.key -subj "/CN=${names[0]}" -out server.csr 2>/dev/null
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out server/server.crt \
  -extfile <(printf 'subjectAltName=%s\n' "$san") 2>/dev/null
openssl req -new "${ec[@]}" -keyout client/client.key -subj "/CN=alice" -out client.csr 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client/client.crt 2>/dev/null
cp ca.crt server/; cp ca.crt client/
chmod 600 server/server.key client/client.key ca.key
rm -f server.csr client.csr
