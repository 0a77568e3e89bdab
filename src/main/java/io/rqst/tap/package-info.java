/** TAP devices: where Ethernet frames enter and leave the host (Linux through the FFM API). */
package io.rqst.tap;
