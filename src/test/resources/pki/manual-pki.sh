#!/usr/bin/env bash
# Builds a PKI exactly the way the RQST manual's §3 does (its setup.bat, openssl.cfg, certreq.cfg, san.txt
# and openssl commands), with C:\CA replaced by OUTDIR and the interactive prompts answered non-interactively:
# the CA passphrase on stdin, the DNs with -subj (the cfg defaults, CN as the manual suggests), -batch for
# "Sign the certificate?". Then copies what rqst reads into OUTDIR/server and OUTDIR/client (manual §3.4).
#
# Extra material for tests, not in the manual: a second client (bob), an EC P-256 client (carol; SEC1 with an
# EC PARAMETERS block, and PKCS#8) signed by the manual CA, a PKCS#1 copy of the client key, and a client
# named like the manual's (alice) but signed by another CA (OUTDIR/other).
#
# Usage: manual-pki.sh OUTDIR      env: SERVER_SANS (default DNS:rqst.example.com,DNS:rqst4.example.com)
#                                       CA_PASSPHRASE (default rqst-manual-ca)
set -euo pipefail

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
mkdir -p "$1"
OUT=$(cd "$1" && pwd)
SERVER_SANS=${SERVER_SANS:-DNS:rqst.example.com,DNS:rqst4.example.com}
PASS=${CA_PASSPHRASE:-rqst-manual-ca}
# the manual: "commonName: one of the server's FQDNs, subjectAltName: all of them" -> the first DNS name
SERVER_CN=rqst.example.com
IFS=, read -ra sans <<<"$SERVER_SANS"
for s in "${sans[@]}"; do
    s=${s#"${s%%[![:space:]]*}"}
    if [[ $s == DNS:* ]]; then SERVER_CN=${s#DNS:}; SERVER_CN=${SERVER_CN# }; break; fi
done
DN_BASE="/C=JP/ST=Okayama/L=Okayama/O=SEERA Networks Inc."

# Runs a command quietly; on failure shows its output and stops.
run() {
    local log
    if ! log=$("$@" 2>&1); then
        printf '%s\n' "$log" >&2
        echo "manual-pki.sh: failed: $*" >&2
        exit 1
    fi
}

cd "$OUT"
if [ -e index.txt ] || [ -e openssl.cfg ]; then
    echo "manual-pki.sh: $OUT already holds a CA; use an empty directory" >&2
    exit 1
fi

# --- §3.1 setup.bat ---------------------------------------------------------------------------------------
mkdir certs crl newcerts private csr
: > index.txt
: > crlnumber
echo 1000 > serial

# --- §3.1 openssl.cfg (transcribed; C:\CA -> OUTDIR) -------------------------------------------------------
cat > openssl.cfg <<CFG
[ ca ]
default_ca = CA_default

[ CA_default ]
dir           = $OUT
certs         = $OUT/certs
crl_dir       = $OUT/crl
database      = $OUT/index.txt
new_certs_dir = $OUT/newcerts
serial        = $OUT/serial
crlnumber     = $OUT/crlnumber
crl           = $OUT/crl.pem
certificate    = $OUT/certs/ca.crt
private_key   = $OUT/private/ca.key

name_opt	= ca_default
cert_opt	= ca_default
crl_extensions	= crl_ext
default_days	= 365
default_crl_days	= 30
default_md	= sha256
preserve	= no
policy	= policy_match

[policy_match]

countryName	= match
stateOrProvinceName	= optional
organizationName	= optional
organizationalUnitName	= optional
commonName	= supplied
emailAddress	= optional

[policy_anything]

countryName	= optional
stateOrProvinceName	= optional
localityName	= optional
organizationName	= optional
organizationalUnitName	= optional
commonName	= supplied
emailAddress	= optional

[req]

default_bits	= 2048
distinguished_name	= req_distinguished_name
x509_extensions	= v3_ca
string_mask	= utf8only
default_md	= sha256

[req_distinguished_name]

countryName	= Country Name (2 letter code)
countryName_default	= JP
countryName_min                = 2
countryName_max                = 2
stateOrProvinceName            = State or Province Name (full name)
stateOrProvinceName_default    = Okayama
localityName                   = Locality Name (eg, city)
localityName_default           = Okayama
0.organizationName              = Organization Name (eg, company)
0.organizationName_default     = SEERA Networks Inc.
organizationalUnitName          = Organizational Unit Name (eg, section)
organizationalUnitName_default = Okayama Office
commonName                     = Common Name (e.g. server FQDN or YOUR name)
commonName_default             = RQST CA
commonName_max                 = 64
emailAddress                    = Email Address
emailAddress_default           = rqst@example.com
emailAddress_max               = 64

[ server_cert ]
basicConstraints                = CA:FALSE
nsCertType                     = server
nsComment                      = "OpenSSL Generated Server Certificate"
subjectKeyIdentifier           = hash
authorityKeyIdentifier         = keyid,issuer:always
keyUsage                       = critical, digitalSignature, keyEncipherment
extendedKeyUsage                = serverAuth

[ v3_ca ]
subjectKeyIdentifier           = hash
authorityKeyIdentifier         = keyid:always,issuer
basicConstraints                = critical,CA:true
keyUsage                       = critical, digitalSignature, cRLSign, keyCertSign

[ v3_intermediate_ca ]
subjectKeyIdentifier           = hash
authorityKeyIdentifier         = keyid:always,issuer
basicConstraints      = critical,CA:true, pathlen:0
keyUsage              = critical, digitalSignature, cRLSign, keyCertSign

[ crl_ext ]
authorityKeyIdentifier = keyid:always
CFG

# --- §3.1 CA key (passphrase typed on stdin) and CA certificate ---------------------------------------------
run openssl genrsa -aes256 -passout stdin -out private/ca.key 4096 <<<"$PASS"
run openssl req -config openssl.cfg -key private/ca.key -passin stdin -new -x509 -days 9999 -sha256 \
    -extensions v3_ca -subj "$DN_BASE/OU=Okayama Office/CN=RQST CA/emailAddress=rqst@example.com" \
    -out certs/ca.crt <<<"$PASS"

# --- §3.2 certreq.cfg, server key, CSR with SAN, san.txt, openssl ca with -extfile --------------------------
cat > certreq.cfg <<'CFG'
[ req ]
default_bits          = 2048
distinguished_name = req_distinguished_name

[ req_distinguished_name ]
countryName            = Country Name (2 letter code)
countryName_default    = JP
stateOrProvinceName    = State or Province Name (full name)
stateOrProvinceName_default = Okayama
localityName           = Locality Name (eg, city)
localityName_default   = Okayama
organizationName       = Organization Name (eg, company)
organizationName_default = SEERA Networks Inc.
commonName             = Common Name (e.g. server FQDN or YOUR name)
commonName_default     = rqst.example.com
CFG

run openssl genrsa -out private/server.key 2048
run openssl req -config certreq.cfg -addext "subjectAltName=$SERVER_SANS" -key private/server.key -new -sha256 \
    -subj "$DN_BASE/CN=$SERVER_CN" -out csr/server.csr
echo "subjectAltName = $SERVER_SANS" > san.txt
run openssl ca -config openssl.cfg -batch -passin stdin -days 5000 -notext -md sha256 -in csr/server.csr \
    -extfile san.txt -out certs/server.crt <<<"$PASS"

# --- §3.3 client key, CSR, openssl ca without -extfile (an X.509 v1 certificate) ----------------------------
# $1 = name, $2 = CN; the key private/$1.key must exist
issue_client() {
    run openssl req -config certreq.cfg -key "private/$1.key" -new -sha256 -subj "$DN_BASE/CN=$2" -out "csr/$1.csr"
    run openssl ca -config openssl.cfg -batch -passin stdin -days 5000 -notext -md sha256 -in "csr/$1.csr" \
        -out "certs/$1.crt" <<<"$PASS"
}
run openssl genrsa -out private/client.key 2048
issue_client client alice

# --- test extras: second client, PKCS#1 copy, EC client, a client of another CA -----------------------------
run openssl genrsa -out private/client2.key 2048
issue_client client2 bob
run openssl rsa -traditional -in private/client.key -out private/client-pkcs1.key
run openssl ecparam -name prime256v1 -genkey -out private/client-ec-sec1.key   # EC PARAMETERS + EC PRIVATE KEY
run openssl pkey -in private/client-ec-sec1.key -out private/client-ec.key       # PKCS#8
issue_client client-ec carol

mkdir other
cat > other/other-ca.cfg <<'CFG'
[ req ]
distinguished_name = dn
[ dn ]
[ v3_ca ]
subjectKeyIdentifier = hash
basicConstraints     = critical,CA:true
keyUsage             = critical, cRLSign, keyCertSign
CFG
run openssl req -config other/other-ca.cfg -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout other/other-ca.key -subj "/C=JP/O=Someone Else/CN=Other CA" -days 3650 -sha256 -extensions v3_ca \
    -out other/other-ca.crt
run openssl genrsa -out other/other-client.key 2048
run openssl req -config certreq.cfg -key other/other-client.key -new -sha256 -subj "$DN_BASE/CN=alice" \
    -out other/other-client.csr
run openssl x509 -req -in other/other-client.csr -CA other/other-ca.crt -CAkey other/other-ca.key \
    -set_serial 4096 -days 3650 -sha256 -out other/other-client.crt
chmod 600 private/*.key other/*.key

# --- §3.4 copy where rqst looks for them ---------------------------------------------------------------------
mkdir -p server client
install -m 0644 certs/ca.crt certs/server.crt server/
install -m 0600 private/server.key server/
install -m 0644 certs/ca.crt certs/client.crt client/
install -m 0600 private/client.key client/

echo "manual PKI in $OUT: CA \"RQST CA\", server \"$SERVER_CN\" ($SERVER_SANS), clients alice bob carol(EC), other-CA client alice"
