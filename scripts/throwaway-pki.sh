#!/usr/bin/env bash
# throwaway-pki.sh DIR [SERVER_NAME...] : a short-lived CA, a server certificate for the names given
# (default rqst.example.com) and a client certificate "alice", laid out where rqst looks by default:
#   DIR/server/{ca.crt,server.key,server.crt}   DIR/client/{ca.crt,client.key,client.crt}
# PKI_KEYS=rsa (default): the RQST manual's kinds, RSA 4096 CA and RSA 2048 server and client keys;
# PKI_KEYS=ec: NIST P-256 throughout. For demos and benchmarks only (2-day validity, CA key left in DIR).
set -euo pipefail
dir=$1; shift
names=("$@"); ((${#names[@]})) || names=(rqst.example.com)
san=$(printf 'DNS:%s,' "${names[@]}"); san=${san%,}
mkdir -p "$dir/server" "$dir/client"
cd "$dir"
case ${PKI_KEYS:-rsa} in
  rsa) ca_key=(-newkey rsa:4096 -nodes); leaf_key=(-newkey rsa:2048 -nodes) ;;
  ec) ca_key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes); leaf_key=("${ca_key[@]}") ;;
  *) echo "throwaway-pki.sh: PKI_KEYS must be rsa or ec, not ${PKI_KEYS}" >&2; exit 2 ;;
esac
openssl req -x509 "${ca_key[@]}" -keyout ca.key -out ca.crt -days 2 -subj "/CN=rqst throwaway CA" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new "${leaf_key[@]}" -keyout server/server.key -subj "/CN=${names[0]}" -out server.csr 2>/dev/null
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out server/server.crt \
  -extfile <(printf 'subjectAltName=%s\n' "$san") 2>/dev/null
openssl req -new "${leaf_key[@]}" -keyout client/client.key -subj "/CN=alice" -out client.csr 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client/client.crt 2>/dev/null
cp ca.crt server/; cp ca.crt client/
chmod 600 server/server.key client/client.key ca.key
rm -f server.csr client.csr
