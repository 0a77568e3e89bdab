/** The command line: rqst server, rqst client and their aliases vpn-server and vpn-client. */
package io.rqst.cli;
