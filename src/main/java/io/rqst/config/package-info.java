/** Parsing and validating user input: vpn:// URLs, interface addresses, sizes and durations. */
package io.rqst.config;
