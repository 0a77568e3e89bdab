/** Timestamps along the data path for latency work ({@code bench/ping-stages.sh}), off unless asked for. */
package io.rqst.trace;
