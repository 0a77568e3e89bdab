/** Recorded host network changes (addresses, routes) that are undone in reverse order on exit or after a crash. */
package io.rqst.hostnet;
