/** Certificates and keys: PEM loading, self-signed test identities and peer verification with clear reasons. */
package io.rqst.pki;
