/** Linux system calls and kernel constants bound once through the FFM API, shared by the TAP and transport layers; file errors in words. */
package io.rqst.sys;
