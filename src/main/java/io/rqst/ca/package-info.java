/**
 * rqst's built-in certificate authority ({@code rqst ca}): the CA's directory ({@link io.rqst.ca.CaStore}) and
 * its register ({@link io.rqst.ca.CaIndex}), issuing server and client certificates, revocation and CRLs
 * ({@link io.rqst.ca.CertificateAuthority}), and exports for other systems ({@link io.rqst.ca.Pkcs12}). What it
 * makes is ordinary X.509 that OpenSSL verifies; rqst itself accepts certificates from any CA.
 */
package io.rqst.ca;
