/** Linux system calls and kernel constants bound once through the FFM API, shared by the TAP and transport layers. */
package io.rqst.sys;
